// The official ClickHouse Node.js client against paid-gateway: ping, two JSON formats and an
// error. Prints one JSON document with what the client returned, for the Python test to check.
import { createClient } from '@clickhouse/client'

const client = createClient({
  url: process.env.GATEWAY_URL,
  username: 'node',
  password: process.env.GATEWAY_PASSWORD,
  database: 'paid',
})
const out = {}
out.ping = await client.ping()
const rows = await client.query({
  query: 'SELECT signal_name, count() AS n FROM fact_signal GROUP BY signal_name ORDER BY signal_name',
  format: 'JSONEachRow',
})
out.jsonEachRow = await rows.json()
const typed = await client.query({
  query: "SELECT toUInt64('18446744073709551615') AS big, toDecimal128('-1.25', 10) AS d, toDateTime64('2026-11-01 08:15:00.123', 3, 'UTC') AS t",
  format: 'JSONCompactEachRowWithNamesAndTypes',
  // JavaScript numbers hold 53 bits: ask ClickHouse to quote 64-bit integers
  clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
})
out.compactWithNamesAndTypes = await typed.json()
try {
  await client.query({ query: 'SELECT * FROM nosuch_table', format: 'JSONEachRow' })
  out.error = null
} catch (err) {
  out.error = { code: err.code, type: err.type, message: err.message }
}
await client.close()
process.stdout.write(JSON.stringify(out))
