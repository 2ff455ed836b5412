using System.Globalization;

namespace EfficientNet.Batch.Storage.PseudoLabels;

/// <summary>
/// The seeded coin of stochastic rounding: a hash of (seed, image id) in [0, 2^31 - 1), the same in C#, SQLite and
/// PostgreSQL, so a selection is reproducible from its seed on either database and the tests can recompute it.
/// Built from integer arithmetic both SQL dialects share (+, *, %, no overflow: every product is below 2^62): two
/// rounds of an affine step and a squaring modulo the prime 2^31 - 1 (the squaring breaks the lattice structure
/// that a purely affine map would give consecutive image ids). Not cryptographic; uniform enough for a coin.
/// </summary>
public static class SelectionHash
{
    public const long Modulus = 2_147_483_647;

    public static long Of(long imageId, long seed)
    {
        var s = SeedTerm(seed);
        var x = (Reduce(imageId) * 48271 + s) % Modulus;
        x = (x * x + 12345) % Modulus;
        x = (x * 16807 + s) % Modulus;
        return (x * x + 54321) % Modulus;
    }

    /// <summary>The seed as the SQL expression takes it (a parameter): reduced to [0, Modulus).</summary>
    public static long SeedTerm(long seed) => Reduce(seed);

    /// <summary>
    /// The same hash as a SQL expression over an image id expression (a non-negative bigint column) and a parameter
    /// holding <see cref="SeedTerm"/>. Valid on SQLite (64-bit integer arithmetic) and PostgreSQL (bigint).
    /// </summary>
    public static string Sql(string imageId, string seedParameter)
    {
        var m = Modulus.ToString(CultureInfo.InvariantCulture);
        var x1 = $"((({imageId}) % {m}) * 48271 + {seedParameter}) % {m}";
        var x2 = $"(({x1}) * ({x1}) + 12345) % {m}";
        var x3 = $"(({x2}) * 16807 + {seedParameter}) % {m}";
        return $"(({x3}) * ({x3}) + 54321) % {m}";
    }

    private static long Reduce(long value) => ((value % Modulus) + Modulus) % Modulus;
}
