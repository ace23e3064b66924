package io.paid.harness;

import com.clickhouse.client.api.query.QuerySettings;
import com.clickhouse.jdbc.ConnectionImpl;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * clickhouse-jdbc (JDBC v2) driven as Metabase's ClickHouse driver and DBeaver drive it, against
 * paid-gateway. Prints one JSON line per reading ({"case": name, ...}) on standard output.
 *
 * <p>Arguments: the gateway's URL and a second gateway's URL whose upstream is slow (for cancel
 * and timeouts). The API key comes from PAID_KEY, never from the command line.
 */
public final class Harness {
    /** The views Metabase sees, as Metabase's getTables asks for them (allowed-table-types). */
    static final String[] METABASE_TABLE_TYPES = {
        "TABLE", "VIEW", "FOREIGN TABLE", "REMOTE TABLE", "DICTIONARY", "MATERIALIZED VIEW",
        "MEMORY TABLE", "LOG TABLE"};

    static final String SLOW_QUERY = "SELECT count() FROM fact_signal";
    /** Runs past the slow upstream's execution limit (a cross join of 210k rows by 210k rows). */
    static final String EXPENSIVE_QUERY =
        "SELECT count() FROM fact_signal AS a CROSS JOIN fact_signal AS b WHERE a.signal_id < b.signal_id";

    private final String key;
    private final String gateway;
    private final String slowGateway;

    private Harness(String key, String gateway, String slowGateway) {
        this.key = key;
        this.gateway = gateway;
        this.slowGateway = slowGateway;
    }

    public static void main(String[] args) throws Exception {
        String key = System.getenv("PAID_KEY");
        if (key == null || args.length != 2) {
            System.err.println("usage: PAID_KEY=<key> Harness <gateway URL> <slow gateway URL>");
            System.exit(2);
        }
        // as Metabase's driver does before it loads com.clickhouse.jdbc.ClickHouseDriver
        System.setProperty("clickhouse.jdbc.v2", "true");
        Harness harness = new Harness(key, args[0], args[1]);
        emit("driver", Map.of("version", driverVersion()));
        harness.metabase();
        harness.dbeaver();
        harness.errors();
        harness.cancel();
        System.out.flush();
    }

    // -- output ----------------------------------------------------------------------------

    static void emit(String name, Map<String, Object> fields) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("case", name);
        line.putAll(fields);
        System.out.println(Json.write(line));
    }

    /** Run one case; a failure is printed as its reading, so every other case still runs. */
    static void run(String name, Case body) {
        try {
            emit(name, body.read());
        } catch (Throwable e) {
            emit(name, Map.of("failure", String.valueOf(e)));
        }
    }

    interface Case {
        Map<String, Object> read() throws Exception;
    }

    static String driverVersion() throws SQLException {
        return DriverManager.getDriver("jdbc:clickhouse://localhost/").getClass().getPackage()
            .getImplementationVersion() + "";
    }

    /** An SQLException as a reading: ClickHouse's code (getErrorCode), SQLState and message. */
    static Map<String, Object> error(Throwable e) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("exception", e.getClass().getName());
        if (e instanceof SQLException) {
            out.put("code", ((SQLException) e).getErrorCode());
            out.put("sqlstate", ((SQLException) e).getSQLState());
        }
        out.put("message", String.valueOf(e.getMessage()));
        return out;
    }

    static Map<String, Object> result(String sql, ResultSet rs) throws SQLException {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("sql", sql);
        out.putAll(Values.columns(rs));
        out.put("rows", Values.metabaseRows(rs));
        return out;
    }

    // -- connections -----------------------------------------------------------------------

    static String jdbcUrl(String base) {
        return "jdbc:clickhouse:" + base.replaceFirst("^http:", "") + "/paid";
    }

    /** Metabase's connection spec (metabase.driver.clickhouse, connection-details->spec). */
    Connection metabaseConnection(String base, String password, String clickhouseSettings)
            throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "metabase");
        p.setProperty("password", password);
        p.setProperty("ssl", "false");
        p.setProperty("use_server_time_zone_for_dates", "true");
        p.setProperty("product_name", "metabase/v0.57.0");
        p.setProperty("remember_last_set_roles", "true");
        p.setProperty("http_connection_provider", "HTTP_URL_CONNECTION");
        p.setProperty("jdbc_ignore_unsupported_values", "true");
        p.setProperty("jdbc_schema_term", "schema");
        p.setProperty("max_open_connections", "100");
        p.setProperty("custom_http_params", clickhouseSettings);
        return DriverManager.getConnection(jdbcUrl(base), p);
    }

    /** DBeaver's connection: the driver's defaults, user and password. */
    Connection dbeaverConnection(String base, Properties extra) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "dbeaver");
        p.setProperty("password", key);
        p.putAll(extra);
        return DriverManager.getConnection(jdbcUrl(base), p);
    }

    /** Metabase's do-with-connection-with-options: the report time zone as session_timezone. */
    static void setSessionTimezone(Connection conn, String zone) throws SQLException {
        QuerySettings settings = new QuerySettings();
        settings.setOption("session_timezone", zone);
        conn.unwrap(ConnectionImpl.class).setDefaultQuerySettings(settings);
    }

    static Map<String, Object> query(Connection conn, String sql) throws SQLException {
        try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return result(sql, rs);
        }
    }

    // -- Metabase --------------------------------------------------------------------------

    static final String[] SYNC_QUERIES = {
        // row count and the sample for fingerprints (a whole small table), field values, ranges
        "SELECT COUNT(*) AS `count` FROM `paid`.`fact_signal`",
        "SELECT `paid`.`dim_customer`.`id` AS `id`, `paid`.`dim_customer`.`name` AS `name`, "
            + "`paid`.`dim_customer`.`parent_customer_id` AS `parent_customer_id`, "
            + "`paid`.`dim_customer`.`annual_revenue` AS `annual_revenue`, "
            + "`paid`.`dim_customer`.`status` AS `status`, `paid`.`dim_customer`.`churn_date` AS `churn_date`, "
            + "`paid`.`dim_customer`.`state` AS `state`, `paid`.`dim_customer`.`created_at` AS `created_at` "
            + "FROM `paid`.`dim_customer` LIMIT 10000",
        "SELECT `paid`.`fact_cost`.`vendor` AS `vendor` FROM `paid`.`fact_cost` "
            + "GROUP BY `paid`.`fact_cost`.`vendor` ORDER BY `paid`.`fact_cost`.`vendor` ASC LIMIT 1000",
        "SELECT MIN(`paid`.`fact_invoice`.`issue_date`) AS `min`, MAX(`paid`.`fact_invoice`.`issue_date`) AS `max`, "
            + "MIN(`paid`.`fact_invoice`.`created_at`) AS `min_created`, "
            + "MAX(`paid`.`fact_invoice`.`created_at`) AS `max_created` FROM `paid`.`fact_invoice`",
    };

    /** A native question over many types, read with every getter Metabase uses. */
    static final String NATIVE = "SELECT vendor, count() AS calls, sum(cost_amount) AS cents, "
        + "sum(input_tokens) AS tokens, max(created_at) AS last_call, min(toDate(created_at)) AS first_day, "
        + "arraySort(groupUniqArray(model)) AS models, toUInt64(18446744073709551615) AS big, "
        + "toInt64(-9223372036854775808) AS small, map('calls', count()) AS counts "
        + "FROM fact_cost GROUP BY vendor ORDER BY vendor";

    /** The SQL of Metabase's query processor for "Signals by month, chat replies since 2000". */
    static final String QUESTION = "SELECT toStartOfMonth(toTimeZone(`paid`.`fact_signal`.`created_at`, 'UTC')) "
        + "AS `created_at`, COUNT(*) AS `count` FROM `paid`.`fact_signal` "
        + "WHERE (`paid`.`fact_signal`.`signal_name` = ?) "
        + "AND (`paid`.`fact_signal`.`created_at` >= parseDateTimeBestEffort('2000-01-01 00:00:00.000', 'UTC')) "
        + "GROUP BY toStartOfMonth(toTimeZone(`paid`.`fact_signal`.`created_at`, 'UTC')) "
        + "ORDER BY toStartOfMonth(toTimeZone(`paid`.`fact_signal`.`created_at`, 'UTC')) ASC LIMIT 1048575";

    void metabase() throws SQLException {
        try (Connection conn = metabaseConnection(gateway, key, "")) {
            run("mb.connection_test", () -> {
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("valid", conn.isValid(5));
                out.put("select_1", query(conn, "SELECT 1").get("rows"));
                out.put("timezone", query(conn, "SELECT timezone() AS tz").get("rows"));
                out.put("version", query(conn, "WITH s AS (SELECT version() AS ver, splitByChar('.', ver) AS verSplit) "
                    + "SELECT s.ver, toInt32(verSplit[1]), toInt32(verSplit[2]) FROM s").get("rows"));
                out.put("cloud", query(conn, "SELECT value='1' FROM system.settings WHERE name='cloud_mode'").get("rows"));
                DatabaseMetaData meta = conn.getMetaData();
                out.put("product", meta.getDatabaseProductName() + " " + meta.getDatabaseProductVersion());
                return out;
            });
            run("mb.tables", () -> {
                DatabaseMetaData meta = conn.getMetaData();
                try (ResultSet rs = meta.getTables(null, "paid", "%", METABASE_TABLE_TYPES)) {
                    return Map.of("rows", Values.namedRows(rs, "TABLE_SCHEM", "TABLE_NAME", "TABLE_TYPE", "REMARKS"));
                }
            });
            run("mb.columns", () -> {
                DatabaseMetaData meta = conn.getMetaData();
                List<String> tables = new ArrayList<>();
                try (ResultSet rs = meta.getTables(null, "paid", "%", METABASE_TABLE_TYPES)) {
                    while (rs.next()) {
                        tables.add(rs.getString("TABLE_NAME"));
                    }
                }
                List<Object> rows = new ArrayList<>();
                List<Object> keys = new ArrayList<>();
                for (String table : tables) {  // describe-table: one getColumns per table, then its keys
                    try (ResultSet rs = meta.getColumns(null, "paid", table, null)) {
                        rows.addAll(Values.namedRows(rs, "TABLE_NAME", "COLUMN_NAME", "TYPE_NAME", "DATA_TYPE",
                            "REMARKS", "IS_NULLABLE", "ORDINAL_POSITION", "COLUMN_DEF"));
                    }
                    try (ResultSet rs = meta.getPrimaryKeys(null, "paid", table)) {
                        keys.addAll(Values.namedRows(rs, "TABLE_NAME", "COLUMN_NAME"));
                    }
                }
                return Map.of("rows", rows, "primary_keys", keys);
            });
            for (int i = 0; i < SYNC_QUERIES.length; i++) {
                String sql = SYNC_QUERIES[i];
                run("mb.sync." + i, () -> query(conn, sql));
            }
            run("mb.native", () -> native_(conn));
        }
        // a question: its settings on the connection (Metabase's "ClickHouse settings" field),
        // the report time zone as session_timezone, the row limit of the UI with setMaxRows
        question("mb.question", "max_result_rows=100000,result_overflow_mode=break", "UTC");
        question("mb.question.capped", "max_result_rows=3,result_overflow_mode=break", "UTC");
        question("mb.question.throws", "max_result_rows=3,result_overflow_mode=throw", "UTC");
        try (Connection conn = metabaseConnection(gateway, key, "")) {
            run("mb.session_timezone", () -> {
                setSessionTimezone(conn, "Asia/Kolkata");
                return query(conn, "SELECT timezone() AS tz, "
                    + "toString(toDateTime64('2026-01-15 03:00:00', 3)) AS parsed_local");
            });
        }
    }

    void question(String name, String settings, String zone) {
        run(name, () -> {
            try (Connection conn = metabaseConnection(gateway, key, settings)) {
                setSessionTimezone(conn, zone);
                try (PreparedStatement ps = conn.prepareStatement(QUESTION)) {
                    ps.setMaxRows(2000);
                    ps.setString(1, "chat_reply");
                    try (ResultSet rs = ps.executeQuery()) {
                        return result(QUESTION.replace("?", "'chat_reply'"), rs);
                    }
                } catch (SQLException e) {
                    return Map.of("error", error(e));
                }
            }
        });
    }

    static Map<String, Object> native_(Connection conn) throws SQLException {
        try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(NATIVE)) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("sql", NATIVE);
            out.putAll(Values.columns(rs));
            ResultSetMetaData meta = rs.getMetaData();
            List<Object> rows = new ArrayList<>();
            List<Object> getters = new ArrayList<>();
            while (rs.next()) {
                List<Object> row = new ArrayList<>();
                for (int i = 1; i <= meta.getColumnCount(); i++) {
                    row.add(Values.metabase(rs, meta, i));
                }
                rows.add(row);
                Map<String, Object> read = new LinkedHashMap<>();
                read.put("getString", rs.getString("vendor"));
                read.put("getLong", List.of(Long.toString(rs.getLong("calls")), Long.toString(rs.getLong("tokens")),
                    Long.toString(rs.getLong("small"))));
                read.put("getBigDecimal", List.of(rs.getBigDecimal("cents").toPlainString(),
                    rs.getBigDecimal("big").toPlainString()));
                read.put("getTimestamp", Values.render(rs.getTimestamp("last_call")));
                read.put("getDate", Values.render(rs.getDate("first_day")));
                read.put("getArray", Values.render(rs.getArray("models")));
                read.put("getObject", List.of(Values.render(rs.getObject("big")), Values.render(rs.getObject("cents")),
                    Values.render(rs.getObject("last_call")), Values.render(rs.getObject("counts"))));
                getters.add(read);
            }
            out.put("rows", rows);
            out.put("getters", getters);
            return out;
        }
    }

    // -- DBeaver ---------------------------------------------------------------------------

    void dbeaver() throws SQLException {
        try (Connection conn = dbeaverConnection(gateway, new Properties())) {
            DatabaseMetaData meta = conn.getMetaData();
            run("dbeaver.catalogs", () -> {
                try (ResultSet rs = meta.getCatalogs()) {
                    return Map.of("rows", Values.stringRows(rs));
                }
            });
            run("dbeaver.schemas", () -> {
                try (ResultSet rs = meta.getSchemas()) {
                    return Map.of("rows", Values.namedRows(rs, "TABLE_SCHEM"));
                }
            });
            run("dbeaver.tables", () -> {
                try (ResultSet rs = meta.getTables(null, "paid", "%", null)) {
                    return Map.of("rows", Values.namedRows(rs, "TABLE_SCHEM", "TABLE_NAME", "TABLE_TYPE", "REMARKS"));
                }
            });
            run("dbeaver.columns", () -> {
                try (ResultSet rs = meta.getColumns(null, "paid", "fact_cost", "%")) {
                    return Map.of("rows", Values.namedRows(rs, "COLUMN_NAME", "TYPE_NAME", "DATA_TYPE",
                        "COLUMN_SIZE", "DECIMAL_DIGITS", "REMARKS", "IS_NULLABLE"));
                }
            });
            run("dbeaver.keys", () -> {
                Map<String, Object> out = new LinkedHashMap<>();
                try (ResultSet rs = meta.getPrimaryKeys(null, "paid", "fact_cost")) {
                    out.put("primary", Values.stringRows(rs));
                }
                try (ResultSet rs = meta.getImportedKeys(null, "paid", "fact_cost")) {
                    out.put("imported", Values.stringRows(rs));
                }
                try (ResultSet rs = meta.getIndexInfo(null, "paid", "fact_cost", false, true)) {
                    out.put("indexes", Values.stringRows(rs));
                }
                return out;
            });
            run("dbeaver.max_rows", () -> {
                String sql = "SELECT * FROM paid.dim_customer ORDER BY id";
                try (Statement st = conn.createStatement()) {
                    st.setMaxRows(200);
                    try (ResultSet rs = st.executeQuery(sql)) {
                        Map<String, Object> out = new LinkedHashMap<>();
                        out.put("sql", sql);
                        out.putAll(Values.columns(rs));
                        out.put("rows", Values.stringRows(rs));
                        return out;
                    }
                }
            });
        }
        // a table larger than the API's row cap: the driver's max_result_rows option asks the
        // server for the first rows only
        Properties useMaxRows = new Properties();
        useMaxRows.setProperty("jdbc_use_max_result_rows", "true");
        try (Connection conn = dbeaverConnection(gateway, useMaxRows)) {
            run("dbeaver.max_rows.server", () -> {
                try (Statement st = conn.createStatement()) {
                    st.setMaxRows(200);
                    try (ResultSet rs = st.executeQuery("SELECT signal_id FROM paid.fact_signal")) {
                        return Map.of("count", Values.stringRows(rs).size());
                    }
                }
            });
        }
    }

    // -- errors and cancel -----------------------------------------------------------------

    void errors() throws SQLException {
        run("error.wrong_key", () -> {
            try (Connection conn = metabaseConnection(gateway, "not-a-key", "")) {
                query(conn, "SELECT 1");
                return Map.of();
            } catch (SQLException e) {
                return Map.of("error", error(e));
            }
        });
        try (Connection conn = dbeaverConnection(gateway, new Properties())) {
            String[][] failing = {
                {"error.unknown_table", "SELECT * FROM paid.nosuch_table"},
                {"error.syntax", "SELEC 1"},
                {"error.row_cap", "SELECT signal_id, created_at FROM paid.fact_signal"},
            };
            for (String[] item : failing) {
                run(item[0], () -> {
                    try {
                        query(conn, item[1]);
                        return Map.of();
                    } catch (SQLException e) {
                        return Map.of("error", error(e));
                    }
                });
            }
        }
        try (Connection conn = dbeaverConnection(slowGateway, new Properties())) {
            run("error.timeout", () -> {
                try {
                    query(conn, EXPENSIVE_QUERY);
                    return Map.of();
                } catch (SQLException e) {
                    return Map.of("error", error(e));
                }
            });
        }
    }

    /** DBeaver's cancel button: Statement.cancel from another thread sends KILL QUERY. */
    void cancel() throws SQLException {
        try (Connection conn = dbeaverConnection(slowGateway, new Properties())) {
            query(conn, "SELECT 1 FROM paid.fact_cost LIMIT 1");  // the catalog is loaded
            run("cancel", () -> {
                try (Statement st = conn.createStatement()) {
                    long started = System.nanoTime();
                    CompletableFuture<Map<String, Object>> running = CompletableFuture.supplyAsync(() -> {
                        try (ResultSet rs = st.executeQuery(SLOW_QUERY)) {
                            return Map.<String, Object>of("rows", Values.stringRows(rs));
                        } catch (SQLException e) {
                            return Map.<String, Object>of("error", error(e));
                        }
                    });
                    Thread.sleep(300);
                    st.cancel();
                    Map<String, Object> out = new LinkedHashMap<>(running.get(30, TimeUnit.SECONDS));
                    out.put("elapsed_ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
                    return out;
                }
            });
        }
    }
}
