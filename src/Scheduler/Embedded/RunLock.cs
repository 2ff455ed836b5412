using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Storage.Runs;

namespace EfficientNet.Batch.Scheduler.Embedded;

/// <summary>
/// Tells a running embedded run from an interrupted one: while a process works on a run over a SQLite file, it holds
/// an exclusive lock on a file beside the database. .NET takes that lock with flock(2) for FileShare.None on Unix, and
/// the kernel drops it when the process ends, however it ends (SIGKILL, a reboot), so a run in status running whose
/// file is not locked has no process working on it. Over PostgreSQL there is no such file: nothing is told there.
/// </summary>
public sealed class RunLock : IDisposable
{
    private readonly FileStream? _file;

    private RunLock(FileStream? file) => _file = file;

    /// <summary>Takes the run's lock for this process; a CLI error when another process holds it.</summary>
    public static RunLock Acquire(DatabaseChoice database, RunInfo run)
    {
        if (PathFor(database, run.Id) is not { } path)
        {
            return new RunLock(null);
        }

        try
        {
            return new RunLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose));
        }
        catch (IOException)
        {
            throw new CliException($"run {run.Name} ({run.Id}) is being processed by another process (it holds {path})");
        }
    }

    /// <summary>
    /// True when the run is in progress but no process works on it (its process was interrupted or killed). Always
    /// false over PostgreSQL, where this cannot be told.
    /// </summary>
    public static bool IsInterrupted(DatabaseChoice database, RunInfo run)
    {
        if (run.Status is not (RunStatus.Planning or RunStatus.Running) || PathFor(database, run.Id) is not { } path)
        {
            return false;
        }

        try
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None);
            return true;
        }
        catch (FileNotFoundException)
        {
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>How status and runs name a run: its status, or "interrupted" when no process works on it.</summary>
    public static string Describe(DatabaseChoice database, RunInfo run) =>
        IsInterrupted(database, run) ? "interrupted" : run.Status.ToString().ToLowerInvariant();

    public void Dispose() => _file?.Dispose();

    private static string? PathFor(DatabaseChoice database, Guid runId) =>
        database.IsPostgres ? null : $"{database.SqlitePath}.run-{runId}.lock";
}
