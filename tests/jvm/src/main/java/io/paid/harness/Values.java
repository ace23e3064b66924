package io.paid.harness;

import java.math.BigDecimal;
import java.sql.Array;
import java.sql.Date;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Values read from a ResultSet, rendered as exact strings (or lists and maps of them). */
final class Values {
    private Values() {
    }

    /** An exact text of a value: BigDecimal plain, instants as ISO instants, the rest as is. */
    static Object render(Object value) throws SQLException {
        if (value == null) {
            return null;
        }
        if (value instanceof BigDecimal) {
            return ((BigDecimal) value).toPlainString();
        }
        if (value instanceof Timestamp) {
            return ((Timestamp) value).toInstant().toString();
        }
        if (value instanceof Date) {
            return ((Date) value).toLocalDate().toString();
        }
        if (value instanceof ZonedDateTime) {
            return ((ZonedDateTime) value).toInstant().toString();
        }
        if (value instanceof OffsetDateTime) {
            return ((OffsetDateTime) value).toInstant().toString();
        }
        if (value instanceof Array) {
            return render(((Array) value).getArray());
        }
        if (value instanceof Object[]) {
            List<Object> items = new ArrayList<>();
            for (Object item : (Object[]) value) {
                items.add(render(item));
            }
            return items;
        }
        if (value.getClass().isArray()) {
            List<Object> items = new ArrayList<>();
            for (int i = 0; i < java.lang.reflect.Array.getLength(value); i++) {
                items.add(render(java.lang.reflect.Array.get(value, i)));
            }
            return items;
        }
        if (value instanceof List) {
            List<Object> items = new ArrayList<>();
            for (Object item : (List<?>) value) {
                items.add(render(item));
            }
            return items;
        }
        if (value instanceof Map) {
            Map<String, Object> entries = new LinkedHashMap<>();
            for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
                entries.put(String.valueOf(render(entry.getKey())), render(entry.getValue()));
            }
            return entries;
        }
        return value.toString();
    }

    /** Column labels, ClickHouse type names and JDBC type codes of a result. */
    static Map<String, Object> columns(ResultSet rs) throws SQLException {
        ResultSetMetaData meta = rs.getMetaData();
        List<Object> names = new ArrayList<>();
        List<Object> types = new ArrayList<>();
        List<Object> jdbcTypes = new ArrayList<>();
        for (int i = 1; i <= meta.getColumnCount(); i++) {
            names.add(meta.getColumnLabel(i));
            types.add(meta.getColumnTypeName(i));
            jdbcTypes.add(meta.getColumnType(i));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("names", names);
        out.put("types", types);
        out.put("jdbc_types", jdbcTypes);
        return out;
    }

    /**
     * One column read the way Metabase's ClickHouse driver reads it (its read-column-thunk
     * methods dispatch on the JDBC type; Metabase's default for the other types is getObject).
     */
    static Object metabase(ResultSet rs, ResultSetMetaData meta, int i) throws SQLException {
        Object value;
        switch (meta.getColumnType(i)) {
            case Types.BIGINT:
                value = rs.getBigDecimal(i);
                break;
            case Types.INTEGER:
                value = rs.getLong(i);
                break;
            case Types.DATE:
                Date date = rs.getDate(i);
                value = date == null ? null : date.toLocalDate();
                break;
            case Types.TIMESTAMP:
                value = rs.getObject(i, ZonedDateTime.class);
                break;
            case Types.TIMESTAMP_WITH_TIMEZONE:
                value = rs.getObject(i, OffsetDateTime.class);
                break;
            case Types.TIME:
                value = rs.getObject(i, OffsetTime.class);
                break;
            case Types.NUMERIC:
            case Types.DECIMAL:
                value = "count".equals(meta.getColumnLabel(i)) ? (Object) rs.getLong(i) : rs.getBigDecimal(i);
                break;
            case Types.ARRAY:
                Array array = rs.getArray(i);
                value = array == null ? null : Arrays.deepToString((Object[]) array.getArray());
                break;
            default:
                value = rs.getObject(i);
        }
        return rs.wasNull() ? null : render(value);
    }

    /** Every row, each column read as Metabase reads it. */
    static List<Object> metabaseRows(ResultSet rs) throws SQLException {
        ResultSetMetaData meta = rs.getMetaData();
        List<Object> rows = new ArrayList<>();
        while (rs.next()) {
            List<Object> row = new ArrayList<>();
            for (int i = 1; i <= meta.getColumnCount(); i++) {
                row.add(metabase(rs, meta, i));
            }
            rows.add(row);
        }
        return rows;
    }

    /** Every row, each column read with getString (what a SQL client's grid shows). */
    static List<Object> stringRows(ResultSet rs) throws SQLException {
        int count = rs.getMetaData().getColumnCount();
        List<Object> rows = new ArrayList<>();
        while (rs.next()) {
            List<Object> row = new ArrayList<>();
            for (int i = 1; i <= count; i++) {
                row.add(rs.getString(i));
            }
            rows.add(row);
        }
        return rows;
    }

    /** Every row as a map of the named columns read with getString (metadata result sets). */
    static List<Object> namedRows(ResultSet rs, String... names) throws SQLException {
        List<Object> rows = new ArrayList<>();
        while (rs.next()) {
            Map<String, Object> row = new LinkedHashMap<>();
            for (String name : names) {
                row.put(name, rs.getString(name));
            }
            rows.add(row);
        }
        return rows;
    }
}
