using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace EfficientNet.Batch.IntegrationTests.Reliability;

/// <summary>
/// Finds every piece of SQL text that is built at run time from something other than string literals. Audited:
/// <list type="bullet">
/// <item>every argument of an SQL entry point (<c>new NpgsqlCommand/NpgsqlBatchCommand/SqliteCommand(sql)</c>,
/// <c>CommandText = sql</c>, <c>CreateCommand(sql)</c>, Npgsql's <c>Begin*Import/Export/RawBinaryCopy(sql)</c>,
/// EF Core's <c>ExecuteSqlRaw/FromSqlRaw/SqlQueryRaw(sql)</c>) that is an interpolated string or a concatenation;</item>
/// <item>anywhere else, every interpolated string and every <c>+</c> concatenation whose text looks like SQL (an
/// upper-case SQL keyword, or a parameter marker <c>@name</c>, <c>$name</c>, <c>$1</c>), counting as text the value
/// of a name declared in the same file with SQL text (<c>SetQuery + filter</c>).</item>
/// </list>
/// Each interpolated expression and each concatenated operand that is not a string literal is a <see cref="Fragment"/>.
/// Not seen: SQL assembled from pieces none of which is SQL text in this sense (e.g. <c>a + b</c> of two parameters),
/// or by <c>string.Concat/Format/Join</c> or a StringBuilder, and passed to an entry point through a variable.
/// </summary>
internal static partial class SqlSourceAudit
{
    private static readonly HashSet<string> CommandTypes = ["NpgsqlCommand", "NpgsqlBatchCommand", "SqliteCommand"];

    private static readonly HashSet<string> SqlMethods =
    [
        "CreateCommand", "BeginBinaryImport", "BeginBinaryImportAsync", "BeginTextImport", "BeginTextImportAsync",
        "BeginBinaryExport", "BeginBinaryExportAsync", "BeginTextExport", "BeginTextExportAsync", "BeginRawBinaryCopy",
        "BeginRawBinaryCopyAsync", "ExecuteSqlRaw", "ExecuteSqlRawAsync", "FromSqlRaw", "SqlQueryRaw",
    ];

    /// <summary>One run-time piece of SQL text: the file, its line, and the C# expression (whitespace collapsed).</summary>
    public sealed record Fragment(string File, int Line, string Expression);

    public static IReadOnlyList<Fragment> Audit(string source, string file)
    {
        var root = CSharpSyntaxTree.ParseText(source).GetRoot();

        // Names declared in this file (fields, properties, locals) whose initial value is SQL text: `SetQuery + " WHERE ..."`
        // and `InsertValues + values` are SQL built at run time even though their own literals may not look like SQL.
        var sqlNames = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in root.DescendantNodes().OfType<VariableDeclaratorSyntax>().Select(v => (v.Identifier.Text, v.Initializer?.Value))
            .Concat(root.DescendantNodes().OfType<PropertyDeclarationSyntax>().Select(p => (p.Identifier.Text, p.Initializer?.Value ?? p.ExpressionBody?.Expression))))
        {
            if (value is not null && LiteralText(value, sqlNames) is var text && LooksLikeSql(text))
            {
                sqlNames[name] = text;
            }
        }

        var built = new HashSet<ExpressionSyntax>();
        foreach (var node in root.DescendantNodes())
        {
            if (SqlArgument(node) is { } argument && Outermost(argument) is var expression && IsBuilt(expression))
            {
                built.Add(expression);
            }
            else if (node is InterpolatedStringExpressionSyntax or BinaryExpressionSyntax { RawKind: (int)SyntaxKind.AddExpression }
                && node.Parent is not BinaryExpressionSyntax { RawKind: (int)SyntaxKind.AddExpression }
                && LooksLikeSql(LiteralText((ExpressionSyntax)node, sqlNames)))
            {
                built.Add((ExpressionSyntax)node);
            }
        }

        return built
            .SelectMany(Pieces)
            .Distinct()
            .Select(piece => new Fragment(file, piece.GetLocation().GetLineSpan().StartLinePosition.Line + 1, Collapse(piece.ToString())))
            .OrderBy(f => f.Line)
            .ToList();
    }

    private static ExpressionSyntax? SqlArgument(SyntaxNode node) => node switch
    {
        BaseObjectCreationExpressionSyntax creation when TypeName(creation) is { } type && CommandTypes.Contains(type) =>
            creation.ArgumentList?.Arguments.FirstOrDefault()?.Expression,
        InvocationExpressionSyntax invocation when MethodName(invocation.Expression) is { } name && SqlMethods.Contains(name) =>
            invocation.ArgumentList.Arguments.FirstOrDefault()?.Expression,
        AssignmentExpressionSyntax assignment when assignment.Left is MemberAccessExpressionSyntax { Name.Identifier.Text: "CommandText" }
            or IdentifierNameSyntax { Identifier.Text: "CommandText" } => assignment.Right,
        _ => null,
    };

    private static string? TypeName(BaseObjectCreationExpressionSyntax creation) => creation switch
    {
        ObjectCreationExpressionSyntax { Type: var type } => type is QualifiedNameSyntax q ? q.Right.Identifier.Text : type.ToString(),
        _ => null, // target-typed new(...): the type is not in the syntax; entry points here always name theirs
    };

    private static string? MethodName(ExpressionSyntax expression) => expression switch
    {
        MemberAccessExpressionSyntax member => member.Name.Identifier.Text,
        IdentifierNameSyntax identifier => identifier.Identifier.Text,
        GenericNameSyntax generic => generic.Identifier.Text,
        _ => null,
    };

    private static ExpressionSyntax Outermost(ExpressionSyntax expression) =>
        expression is ParenthesizedExpressionSyntax parenthesized ? Outermost(parenthesized.Expression) : expression;

    private static bool IsBuilt(ExpressionSyntax expression) =>
        expression is InterpolatedStringExpressionSyntax or BinaryExpressionSyntax { RawKind: (int)SyntaxKind.AddExpression };

    /// <summary>
    /// The literal text of a string expression: interpolated strings' text parts, concatenated literals, and the text of
    /// names declared in the file with SQL text.
    /// </summary>
    private static string LiteralText(ExpressionSyntax expression, IReadOnlyDictionary<string, string> sqlNames) => Outermost(expression) switch
    {
        InterpolatedStringExpressionSyntax interpolated => string.Concat(interpolated.Contents.OfType<InterpolatedStringTextSyntax>().Select(t => t.TextToken.ValueText)),
        BinaryExpressionSyntax { RawKind: (int)SyntaxKind.AddExpression } binary => LiteralText(binary.Left, sqlNames) + " " + LiteralText(binary.Right, sqlNames),
        LiteralExpressionSyntax { RawKind: (int)SyntaxKind.StringLiteralExpression } literal => literal.Token.ValueText,
        IdentifierNameSyntax identifier => sqlNames.GetValueOrDefault(identifier.Identifier.Text, ""),
        _ => "",
    };

    /// <summary>The run-time pieces of a built string: interpolation holes and non-literal operands, recursively.</summary>
    private static IEnumerable<ExpressionSyntax> Pieces(ExpressionSyntax expression)
    {
        switch (Outermost(expression))
        {
            case InterpolatedStringExpressionSyntax interpolated:
                foreach (var hole in interpolated.Contents.OfType<InterpolationSyntax>())
                {
                    if (Outermost(hole.Expression) is LiteralExpressionSyntax)
                    {
                        continue;
                    }

                    // A hole that is itself built SQL (an interpolated string inside a hole) is audited piece by piece.
                    foreach (var piece in IsBuilt(Outermost(hole.Expression)) ? Pieces(hole.Expression) : [hole.Expression])
                    {
                        yield return piece;
                    }
                }

                break;
            case BinaryExpressionSyntax { RawKind: (int)SyntaxKind.AddExpression } binary:
                foreach (var piece in Pieces(binary.Left).Concat(Pieces(binary.Right)))
                {
                    yield return piece;
                }

                break;
            case LiteralExpressionSyntax:
                break;
            case var other:
                yield return other;
                break;
        }
    }

    private static bool LooksLikeSql(string text) => SqlText().IsMatch(text);

    private static string Collapse(string code) => Whitespace().Replace(code, " ").Trim();

    [GeneratedRegex(@"\b(SELECT|INSERT|UPDATE|DELETE|MERGE|FROM|WHERE|JOIN|VALUES|CREATE|DROP|ALTER|GRANT|REVOKE|COPY|TRUNCATE|PRAGMA|RETURNING|ON CONFLICT|GROUP BY|ORDER BY)\b|(^|[\s(,=<>])[@$]([A-Za-z_]\w*|\d+)")]
    private static partial Regex SqlText();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
