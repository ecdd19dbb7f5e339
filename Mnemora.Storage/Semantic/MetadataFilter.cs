using System.Globalization;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Mnemora.Storage.Semantic;

/// <summary>
/// A compiled <c>filter</c>: a SQL condition over the unqualified columns <c>metadata</c> and
/// <c>created_at</c> whose every key and value is a parameter; only operators and parentheses are text.
/// </summary>
public sealed record MetadataFilter(string Sql, IReadOnlyList<MetadataFilter.Parameter> Parameters)
{
    /// <summary>Nesting of <c>$and</c>/<c>$or</c> and operator objects beyond which a filter is refused.</summary>
    public const int MaxDepth = 5;

    /// <summary>Conditions (one per key and operator) in one filter.</summary>
    public const int MaxConditions = 64;

    /// <summary>Values in one <c>$in</c>/<c>$nin</c> list.</summary>
    public const int MaxListValues = 100;

    /// <summary>A metadata key's length in characters.</summary>
    public const int MaxKeyLength = 256;

    /// <summary>A bound value: its name in the SQL (without <c>@</c>), the value and its type.</summary>
    public sealed record Parameter(string Name, object Value, NpgsqlDbType Type);

    /// <summary>Binds the parameters to a command.</summary>
    public void AddTo(NpgsqlParameterCollection parameters)
    {
        foreach (var parameter in Parameters)
        {
            parameters.Add(new NpgsqlParameter(parameter.Name, parameter.Type) { Value = parameter.Value });
        }
    }

    /// <summary>
    /// Compiles a metadata filter (null for none) and a creation window. Keys map to a value (equality)
    /// or to operators (<c>$eq $ne $in $nin $gt $gte $lt $lte $exists</c>); <c>$and</c>/<c>$or</c> take
    /// arrays of filters. Throws <see cref="MetadataFilterException"/> for anything else.
    /// </summary>
    public static MetadataFilter? Compile(JsonElement? filter, DateTimeOffset? createdAfter = null, DateTimeOffset? createdBefore = null)
    {
        var compiler = new Compiler();
        var parts = new List<string>();
        if (filter is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } element)
        {
            var sql = compiler.Object(element, depth: 1);
            if (sql is not null)
            {
                parts.Add(sql);
            }
        }

        if (createdAfter is { } after)
        {
            parts.Add($"created_at > @{compiler.Add(after.UtcDateTime, NpgsqlDbType.TimestampTz)}");
        }

        if (createdBefore is { } before)
        {
            parts.Add($"created_at < @{compiler.Add(before.UtcDateTime, NpgsqlDbType.TimestampTz)}");
        }

        return parts.Count == 0 ? null : new MetadataFilter(string.Join(" AND ", parts), compiler.Parameters);
    }

    private sealed class Compiler
    {
        private int _conditions;

        public List<Parameter> Parameters { get; } = [];

        public string Add(object value, NpgsqlDbType type)
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"mf{Parameters.Count}");
            Parameters.Add(new Parameter(name, value, type));
            return name;
        }

        /// <summary>An object of keys and logical operators, joined by AND; null when it is empty.</summary>
        public string? Object(JsonElement element, int depth)
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                throw new MetadataFilterException("filter must be a JSON object.");
            }

            if (depth > MaxDepth)
            {
                throw new MetadataFilterException($"filter nests deeper than {MaxDepth} levels.");
            }

            var parts = new List<string>();
            foreach (var property in element.EnumerateObject())
            {
                parts.Add(property.Name switch
                {
                    "$and" => Logical(property.Value, " AND ", "$and", depth),
                    "$or" => Logical(property.Value, " OR ", "$or", depth),
                    _ when property.Name.StartsWith('$') => throw new MetadataFilterException($"'{property.Name}' is not a logical operator here: use $and or $or, or a metadata key."),
                    _ => Key(property.Name, property.Value, depth),
                });
            }

            return parts.Count == 0 ? null : parts.Count == 1 ? parts[0] : $"({string.Join(" AND ", parts)})";
        }

        private string Logical(JsonElement value, string join, string name, int depth)
        {
            if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
            {
                throw new MetadataFilterException($"{name} takes a non-empty array of filters.");
            }

            var parts = value.EnumerateArray().Select(item => Object(item, depth + 1) ?? "TRUE").ToList();
            return $"({string.Join(join, parts)})";
        }

        private string Key(string key, JsonElement value, int depth)
        {
            if (key.Length is 0 or > MaxKeyLength)
            {
                throw new MetadataFilterException($"A metadata key must be 1-{MaxKeyLength} characters.");
            }

            if (value.ValueKind != JsonValueKind.Object)
            {
                return Condition(key, "$eq", value);
            }

            if (depth + 1 > MaxDepth)
            {
                throw new MetadataFilterException($"filter nests deeper than {MaxDepth} levels.");
            }

            var parts = new List<string>();
            foreach (var op in value.EnumerateObject())
            {
                parts.Add(Condition(key, op.Name, op.Value));
            }

            if (parts.Count == 0)
            {
                throw new MetadataFilterException($"The operators of '{key}' are empty.");
            }

            return parts.Count == 1 ? parts[0] : $"({string.Join(" AND ", parts)})";
        }

        private string Condition(string key, string op, JsonElement value)
        {
            if (++_conditions > MaxConditions)
            {
                throw new MetadataFilterException($"filter has more than {MaxConditions} conditions.");
            }

            var k = Add(key, NpgsqlDbType.Text);
            switch (op)
            {
                case "$eq":
                    return $"metadata -> @{k} = @{Json(value, op)}::jsonb";
                case "$ne":
                    // As in MongoDB, a memory without the key is not equal to the value.
                    return $"(metadata -> @{k}) IS DISTINCT FROM @{Json(value, op)}::jsonb";
                case "$in":
                    return $"coalesce(metadata -> @{k} = ANY (@{List(value, op)}::jsonb[]), false)";
                case "$nin":
                    return $"NOT coalesce(metadata -> @{k} = ANY (@{List(value, op)}::jsonb[]), false)";
                case "$gt" or "$gte" or "$lt" or "$lte":
                    return Comparison(k, op, value);
                case "$exists":
                    if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                    {
                        throw new MetadataFilterException("$exists takes true or false.");
                    }

                    return value.GetBoolean() ? $"jsonb_exists(metadata, @{k})" : $"NOT jsonb_exists(metadata, @{k})";
                default:
                    throw new MetadataFilterException($"'{op}' is not a filter operator: use $eq $ne $in $nin $gt $gte $lt $lte $exists.");
            }
        }

        /// <summary>A range over numbers (compared as numbers) or strings (compared as text, so ISO dates order).</summary>
        private string Comparison(string key, string op, JsonElement value)
        {
            var sqlOp = op switch { "$gt" => ">", "$gte" => ">=", "$lt" => "<", _ => "<=" };
            switch (value.ValueKind)
            {
                case JsonValueKind.Number:
                    if (!value.TryGetDecimal(out var number))
                    {
                        throw new MetadataFilterException($"{op} takes a number within decimal range.");
                    }

                    // CASE, not AND: the cast must never see a non-number, whatever order the planner picks.
                    return $"coalesce(CASE WHEN jsonb_typeof(metadata -> @{key}) = 'number' THEN (metadata ->> @{key})::numeric {sqlOp} @{Add(number, NpgsqlDbType.Numeric)} END, false)";
                case JsonValueKind.String:
                    return $"coalesce(CASE WHEN jsonb_typeof(metadata -> @{key}) = 'string' THEN (metadata ->> @{key}) COLLATE \"C\" {sqlOp} @{Add(value.GetString()!, NpgsqlDbType.Text)} END, false)";
                default:
                    throw new MetadataFilterException($"{op} takes a number or a string.");
            }
        }

        private string Json(JsonElement value, string op)
        {
            if (value.ValueKind is JsonValueKind.Object)
            {
                throw new MetadataFilterException($"{op} takes a JSON value that is not an object.");
            }

            return Add(value.GetRawText(), NpgsqlDbType.Text);
        }

        private string List(JsonElement value, string op)
        {
            if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() is 0 or > MaxListValues)
            {
                throw new MetadataFilterException($"{op} takes an array of 1-{MaxListValues} values.");
            }

            var items = value.EnumerateArray().Select(item => item.ValueKind == JsonValueKind.Object
                ? throw new MetadataFilterException($"{op} takes values that are not objects.")
                : item.GetRawText()).ToArray();
            return Add(items, NpgsqlDbType.Array | NpgsqlDbType.Text);
        }
    }
}

/// <summary>A filter the compiler refuses; its message is safe to show the caller.</summary>
public sealed class MetadataFilterException(string message) : Exception(message);
