// Command harness drives clickhouse-go v2 over HTTP, as Grafana's ClickHouse data source
// configures it, against paid-gateway, and prints one JSON line per reading on stdout.
//
// Usage: PAID_KEY=<key> harness <gateway host:port>
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/shopspring/decimal"
)

func emit(name string, fields map[string]any) {
	fields["case"] = name
	line, err := json.Marshal(fields)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(line))
}

// failure is an error as a reading: ClickHouse's code when the client parsed one, and the text.
func failure(err error) map[string]any {
	out := map[string]any{"message": err.Error()}
	var exception *clickhouse.Exception
	if errors.As(err, &exception) {
		out["code"] = exception.Code
		out["name"] = exception.Name
	}
	return out
}

func open(addr, password string) clickhouse.Conn {
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr:     []string{addr},
		Protocol: clickhouse.HTTP,
		Auth:     clickhouse.Auth{Database: "paid", Username: "grafana", Password: password},
		// Grafana's data source: its dial and query timeouts, and LZ4 over HTTP
		DialTimeout: 10 * time.Second,
		ReadTimeout: 30 * time.Second,
		Compression: &clickhouse.Compression{Method: clickhouse.CompressionLZ4},
		ClientInfo:  clickhouse.ClientInfo{Products: []struct{ Name, Version string }{{"grafana-clickhouse-datasource", "4.0.0"}}},
	})
	if err != nil {
		panic(err)
	}
	return conn
}

func strings(ctx context.Context, conn clickhouse.Conn, sql string) (any, error) {
	rows, err := conn.Query(ctx, sql)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func main() {
	key := os.Getenv("PAID_KEY")
	if key == "" || len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: PAID_KEY=<key> harness <gateway host:port> <timing-out gateway host:port>")
		os.Exit(2)
	}
	ctx := context.Background()
	conn := open(os.Args[1], key)
	defer conn.Close()

	if err := conn.Ping(ctx); err != nil {
		emit("ping", map[string]any{"error": failure(err)})
	} else {
		emit("ping", map[string]any{"ok": true})
	}
	for name, sql := range map[string]string{
		"databases": "SELECT name FROM system.databases ORDER BY name",
		"tables":    "SELECT name FROM system.tables WHERE database = 'paid' ORDER BY name",
	} {
		got, err := strings(ctx, conn, sql)
		if err != nil {
			emit(name, map[string]any{"error": failure(err)})
		} else {
			emit(name, map[string]any{"rows": got})
		}
	}
	describe(ctx, conn)
	timeSeries(ctx, conn)
	table(ctx, conn)
	errorCases(ctx, conn, os.Args[1], os.Args[2])
}

func describe(ctx context.Context, conn clickhouse.Conn) {
	rows, err := conn.Query(ctx, "DESCRIBE TABLE paid.fact_cost")
	if err != nil {
		emit("describe", map[string]any{"error": failure(err)})
		return
	}
	defer rows.Close()
	out := [][]string{}
	for rows.Next() {
		var name, typ, defaultType, defaultExpression, comment, codec, ttl string
		if err := rows.Scan(&name, &typ, &defaultType, &defaultExpression, &comment, &codec, &ttl); err != nil {
			emit("describe", map[string]any{"error": failure(err)})
			return
		}
		out = append(out, []string{name, typ, comment})
	}
	emit("describe", map[string]any{"rows": out})
}

// TimeSeriesSQL is what Grafana's query builder writes for a time series ($__timeInterval
// expanded to toStartOfInterval, $__timeFilter to a range of the dashboard).
const TimeSeriesSQL = "SELECT toStartOfInterval(created_at, INTERVAL 1 day) AS time, count() AS signals, " +
	"uniqExact(customer_id) AS customers FROM paid.fact_signal " +
	"WHERE created_at >= toDateTime64(1700000000, 3) AND created_at <= now64() GROUP BY time ORDER BY time"

func timeSeries(ctx context.Context, conn clickhouse.Conn) {
	rows, err := conn.Query(ctx, TimeSeriesSQL)
	if err != nil {
		emit("timeseries", map[string]any{"error": failure(err)})
		return
	}
	defer rows.Close()
	out := [][]string{}
	for rows.Next() {
		var t time.Time
		var signals, customers uint64
		if err := rows.Scan(&t, &signals, &customers); err != nil {
			emit("timeseries", map[string]any{"error": failure(err)})
			return
		}
		out = append(out, []string{t.Format(time.RFC3339Nano), t.Location().String(), fmt.Sprint(signals), fmt.Sprint(customers)})
	}
	emit("timeseries", map[string]any{"sql": TimeSeriesSQL, "rows": out})
}

// TableSQL reads every kind of value a table panel shows.
const TableSQL = "SELECT vendor, sum(cost_amount) AS cents, toInt64(sum(input_tokens)) - 9223372036854775807 AS tokens, " +
	"toUInt64(18446744073709551615) AS big, max(created_at) AS last_call, arraySort(groupUniqArray(model)) AS models, " +
	"map('calls', count()) AS counts FROM paid.fact_cost GROUP BY vendor ORDER BY vendor"

func table(ctx context.Context, conn clickhouse.Conn) {
	rows, err := conn.Query(ctx, TableSQL)
	if err != nil {
		emit("table", map[string]any{"error": failure(err)})
		return
	}
	defer rows.Close()
	out := []map[string]any{}
	for rows.Next() {
		var (
			vendor   string
			cents    decimal.Decimal
			tokens   int64
			big      uint64
			lastCall time.Time
			models   []string
			counts   map[string]uint64
		)
		if err := rows.Scan(&vendor, &cents, &tokens, &big, &lastCall, &models, &counts); err != nil {
			emit("table", map[string]any{"error": failure(err)})
			return
		}
		out = append(out, map[string]any{
			"vendor": vendor, "cents": cents.StringFixed(10), "tokens": fmt.Sprint(tokens), "big": fmt.Sprint(big),
			"last_call": lastCall.Format(time.RFC3339Nano), "zone": lastCall.Location().String(),
			"models": models, "counts": map[string]string{"calls": fmt.Sprint(counts["calls"])},
		})
	}
	emit("table", map[string]any{"sql": TableSQL, "rows": out})
}

func errorCases(ctx context.Context, conn clickhouse.Conn, addr, timingOut string) {
	wrong := open(addr, "not-a-key")
	defer wrong.Close()
	_, err := strings(ctx, wrong, "SELECT 'x'")
	emit("error.wrong_key", map[string]any{"error": failure(err)})
	slow := open(timingOut, os.Getenv("PAID_KEY"))
	defer slow.Close()
	_, err = strings(ctx, slow, "SELECT toString(count()) FROM paid.fact_signal AS a "+
		"CROSS JOIN paid.fact_signal AS b WHERE a.signal_id < b.signal_id")
	if err == nil {
		emit("error.timeout", map[string]any{})
	} else {
		emit("error.timeout", map[string]any{"error": failure(err)})
	}
	for name, sql := range map[string]string{
		"error.unknown_table": "SELECT toString(1) FROM paid.nosuch_table",
		"error.syntax":        "SELEC 1",
		"error.row_cap":       "SELECT toString(signal_id) FROM paid.fact_signal",
	} {
		_, err := strings(ctx, conn, sql)
		if err == nil {
			emit(name, map[string]any{})
		} else {
			emit(name, map[string]any{"error": failure(err)})
		}
	}
}
