using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using EfficientNet.Batch.IntegrationTests.Distributed;
using EfficientNet.Batch.Scheduler.Cli;
using Npgsql;
using Xunit.Abstractions;

namespace EfficientNet.Batch.IntegrationTests.Faults;

/// <summary>
/// Fault injection against the real services of scripts/services.sh: each test starts worker processes on its own
/// database, virtual host and corpus, injects one fault mid-run (a killed, terminated or frozen worker, a restarted
/// broker or database, a malformed message), and proves the promise: the run completes with exactly one prediction
/// per image, no shard is left unfinished, and the system keeps going. Every test logs what it injected and the counts
/// it verified. Run them alone with <c>dotnet test --filter Category=Faults</c>.
/// </summary>
/// <remarks>
/// Runs end without the scheduler's sweeper unless the test is about it (<c>enb status --watch</c> completes them; the
/// broker test runs <c>enb serve</c> with the default 180 s lease, far longer than the run): only the broker's
/// redelivery of unacked messages can bring a lost shard back, so an ack sent before the commit would leave a shard
/// unfinished and fail the test.
/// </remarks>
[Collection(DistributedCollection.Name)]
public sealed class FaultInjectionTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Faults = "Faults";
    private const string ErrorQueue = "process-shard_error";
    private const string SkippedQueue = "process-shard_skipped";
    private static readonly TimeSpan WorkerStart = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan RunEnd = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan ServiceRestart = TimeSpan.FromSeconds(150);

    /// <summary>
    /// Workers that take one image of a shard at a time, so a few hundred images last long enough (several seconds at
    /// about 50 images/s on two cores) to inject a fault mid-run. Prefetch stays at two shards, so a lost connection
    /// always has unacked messages.
    /// </summary>
    private static readonly (string, string)[] Throttled =
    [
        ("Pipeline__ShardConcurrency", "2"), ("Pipeline__ImagesInFlightPerShard", "1"), ("Inference__BatchSize", "1"),
    ];

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<TempDirectory> _folders = [];
    private DistributedStack _stack = null!;

    public async Task InitializeAsync()
    {
        _stack = await DistributedStack.CreateAsync();
        var (exitCode, text) = await _stack.EnbAsync("migrate");
        Assert.True(exitCode == 0, text);
    }

    public async Task DisposeAsync()
    {
        await _stack.DisposeAsync();
        foreach (var folder in _folders)
        {
            folder.Dispose();
        }
    }

    [Fact]
    [Trait("Category", Faults)]
    public async Task A_worker_killed_with_sigkill_mid_run_loses_no_image_and_a_new_worker_finishes_the_run()
    {
        var corpus = CreateCorpus(copies: 48);
        await using var victim = await StartWorkerAsync(Throttled);
        var run = await SubmitAsync(corpus, shardSize: 8);
        await WaitForMidRunAsync(run, completedShards: 3);
        var (_, atKill) = await FreezeWhileHoldingAShardAsync(victim, run);

        victim.Kill();
        await victim.WaitForExitAsync(TimeSpan.FromSeconds(15));
        // Read after its death: the shards it had leased and not committed when it died (frozen until then).
        var held = await ShardsHeldByAsync(victim);
        Assert.True(held.Count > 0, "the killed worker held no leased, uncommitted shard: the kill proved nothing");
        Log($"INJECTED: kill -9 of worker pid {victim.Id} with {atKill.Completed} of {atKill.Total} shards completed; it held shard(s) [{string.Join(", ", held)}] leased and uncommitted (plus its unacked prefetch)");

        await using var replacement = await StartWorkerAsync(Throttled);
        Log($"started replacement worker pid {replacement.Id}");
        await WatchUntilCompletedAsync(run);

        var counts = await VerifyExactlyOnceAsync(run, corpus.Count);
        Assert.All(held, shard => Assert.True(counts.AttemptsOf(shard) >= 2, $"shard {shard} held by the killed worker was not taken again"));
        Log($"VERIFIED: {counts}; the killed worker's shard(s) were redelivered by the broker and completed by pid {replacement.Id}");
    }

    [Fact]
    [Trait("Category", Faults)]
    public async Task A_rabbitmq_restart_mid_run_is_survived_by_workers_and_scheduler_that_reconnect_by_themselves()
    {
        var corpus = CreateCorpus(copies: 48);
        // The default lease (180 s) keeps the sweeper out of the run itself: only the broker's redelivery counts there.
        await using var scheduler = await StartServeAsync(("Scheduler__SweepIntervalSeconds", "2"));
        await using var worker = await StartWorkerAsync(Throttled);
        var run = await SubmitAsync(corpus, shardSize: 8);
        var before = await WaitForMidRunAsync(run, completedShards: 3);

        using var sampling = new CancellationTokenSource();
        var workerSamples = new List<HealthSample>();
        var workerHealth = SampleHealthAsync(worker, () => ShardCountsAsync(run), workerSamples, sampling.Token);
        var schedulerHealth = SampleHealthAsync(scheduler, null, [], sampling.Token);
        try
        {
            // `rabbitmqctl stop` spends 15-30 s starting the Erlang CLI on a loaded 2-core machine before the broker stops,
            // long enough for the worker to finish the run first.
            var (script, elapsed) = await StopTheBrokerWithTheWorkerFrozenAsync(worker, "restart");
            Log($"INJECTED: RabbitMQ restarted (clean stop + start, {elapsed.TotalSeconds:F1} s) with {before.Completed} of {before.Total} shards completed; script said:\n{script}");
        }
        finally
        {
            // The broker is the machine's: whatever happened above, leave it running for the tests that follow.
            await LocalServices.RunAsync(ServiceRestart, "up", "rabbitmq");
        }

        await WaitForHealthyAsync("worker", worker);
        await WaitForRecoverySampledAsync(workerSamples);
        await WaitForHealthyAsync("scheduler (enb serve)", scheduler);
        await sampling.CancelAsync();
        var (workerStates, schedulerStates) = (await workerHealth, await schedulerHealth);
        Log($"worker /health/ready sampled over the restart: {string.Join(" -> ", workerStates)}");
        Log($"scheduler /health/ready sampled over the restart: {string.Join(" -> ", schedulerStates)}");
        // The readiness check covers the bus: it dropped while the broker was away, so Healthy again (asserted by
        // WaitForHealthyAsync above) means the process reconnected by itself.
        var (lost, back) = MidRunOutage(workerStates);
        Assert.Contains(schedulerStates, state => !state.IsHealthy);
        await WatchUntilCompletedAsync(run);

        var counts = await VerifyExactlyOnceAsync(run, corpus.Count);
        Assert.False(worker.HasExited, worker.Output);
        Log($"VERIFIED: the worker lost the broker with {lost.Completed} of {lost.Total} shards completed and {lost.Pending} queued; {back.Total - back.Completed} shards completed after it was back, "
            + $"by the same worker pid {worker.Id}; {counts}");

        // The scheduler publishes on its reconnected connection too: a shard made to look lost (running, lease long
        // expired) is re-published by serve's sweeper, taken by the worker, and written once more without duplicates.
        var probe = counts.Shards;
        var attempts = counts.AttemptsOf(probe);
        await _stack.ScalarAsync($"UPDATE shards SET status = 'running', leased_at = now() - interval '1 hour' WHERE run_id = '{run}' AND shard_id = {probe} RETURNING 1");
        await _stack.ScalarAsync($"UPDATE runs SET status = 'running', finished_at = NULL WHERE id = '{run}' RETURNING 1");
        await scheduler.WaitForOutputAsync($"Re-published shard {probe} of run", TimeSpan.FromSeconds(30));
        await Eventually.WaitUntilAsync(
            $"shard {probe} taken again and the run completed by serve",
            async () => await RunStatusAsync(run) == "completed"
                && await _stack.ScalarAsync($"SELECT attempts FROM shards WHERE run_id = '{run}' AND shard_id = {probe} AND status = 'completed'") == attempts + 1,
            TimeSpan.FromSeconds(30));
        var again = await VerifyExactlyOnceAsync(run, corpus.Count);
        Log($"VERIFIED after the reconnect: serve re-published shard {probe} (made to look lost), the worker took it (attempt {attempts + 1}); counts unchanged: {again}");
    }

    [Fact]
    [Trait("Category", Faults)]
    public async Task A_postgres_restart_mid_run_is_retried_and_no_message_is_acked_before_its_commit()
    {
        var corpus = CreateCorpus(copies: 48);
        await using var worker = await StartWorkerAsync(Throttled);
        var run = await SubmitAsync(corpus, shardSize: 8);
        await WaitForMidRunAsync(run, completedShards: 3);
        var linesBefore = worker.Output.Length;
        // The restart lands mid-write, so the run cannot finish before it (its fast shutdown ends the waiting write too).
        var (blocker, writers) = await HoldTheNextResultWriteAsync(worker);
        var before = await ProgressAsync(run);

        try
        {
            var (script, elapsed) = await LocalServices.RunAsync(ServiceRestart, "restart", "postgres");
            Log($"INJECTED: PostgreSQL restarted (pg_ctl stop -m fast + start, {elapsed.TotalSeconds:F1} s) while {writers.Count} result write(s) of the worker were open, "
                + $"with {before.Completed} of {before.Total} shards completed; script said:\n{script}");
        }
        finally
        {
            await LocalServices.RunAsync(ServiceRestart, "up", "postgres");
            await blocker.DisposeAsync();
        }

        NpgsqlConnection.ClearAllPools();
        await WatchUntilCompletedAsync(run);

        var counts = await VerifyExactlyOnceAsync(run, corpus.Count);
        Assert.False(worker.HasExited, worker.Output);
        var afterRestart = worker.Output[linesBefore..];
        var retries = Regex.Count(afterRestart, "R-RETRY");
        var leaseWarnings = Regex.Count(afterRestart, "Could not renew the lease");
        var firstCause = Regex.Match(afterRestart, @"R-RETRY[^\n]*\n([^\n]*)").Groups[1].Value.Trim();
        Log($"worker log after the restart: {retries} message retr(ies) by the consumer's retry policy (first cause: {firstCause}), {leaseWarnings} missed lease renewal(s)");
        // The shutdown ended the worker's open write: the consumer's retry policy must have taken it again.
        Assert.True(retries > 0, $"the worker's interrupted write was not retried\n{afterRestart}");
        Log($"VERIFIED (no sweeper running: a shard acked before its commit would have stayed unfinished): {counts}");
    }

    [Fact]
    [Trait("Category", Faults)]
    public async Task A_rabbitmq_killed_with_sigkill_mid_run_keeps_its_queued_shards_and_the_worker_reconnects_by_itself()
    {
        var corpus = CreateCorpus(copies: 48);
        await using var worker = await StartWorkerAsync(Throttled);
        var run = await SubmitAsync(corpus, shardSize: 8);
        var before = await WaitForMidRunAsync(run, completedShards: 3);
        var held = await ShardsHeldByAsync(worker);

        using var sampling = new CancellationTokenSource();
        var workerSamples = new List<HealthSample>();
        var workerHealth = SampleHealthAsync(worker, () => ShardCountsAsync(run), workerSamples, sampling.Token);
        TimeSpan down;
        try
        {
            var (script, elapsed) = await StopTheBrokerWithTheWorkerFrozenAsync(worker, "kill9");
            down = elapsed;
            Log($"INJECTED: RabbitMQ killed with SIGKILL and started again ({elapsed.TotalSeconds:F1} s); {before.Completed} of {before.Total} shards were completed "
                + $"and the worker held [{string.Join(", ", held)}] just before; script said:\n{script}");
        }
        finally
        {
            await LocalServices.RunAsync(ServiceRestart, "up", "rabbitmq");
        }

        var reconnect = Stopwatch.StartNew();
        await WaitForHealthyAsync("worker", worker);
        await WaitForRecoverySampledAsync(workerSamples);
        await sampling.CancelAsync();
        var states = await workerHealth;
        Log($"worker /health/ready sampled over the crash: {string.Join(" -> ", states)}; Healthy again {reconnect.Elapsed.TotalSeconds:F1} s after the broker was back");
        var (lost, back) = MidRunOutage(states);
        Assert.True(lost.Pending > 0, $"no shard was waiting in the queue when the broker died ({lost}): nothing had to survive the crash");
        await WatchUntilCompletedAsync(run);

        var counts = await VerifyExactlyOnceAsync(run, corpus.Count);
        Assert.False(worker.HasExited, worker.Output);
        // One worker, no sweeper: every shard still queued at the crash reached it again only from the broker's disk.
        Assert.Equal(counts.Shards, await _stack.ScalarAsync($"SELECT count(*) FROM shards WHERE run_id = '{run}' AND worker_id = '{WorkerId(worker)}'"));
        Log($"VERIFIED: the worker lost the broker with {lost.Completed} of {lost.Total} shards completed and {lost.Pending} queued; the queued shards survived the SIGKILL "
            + $"(quorum queue) and were completed by the same worker pid {worker.Id} after it reconnected ({back.Total - back.Completed} shards left when it was back; {down.TotalSeconds:F1} s down and up); {counts}");
    }

    [Fact]
    [Trait("Category", Faults)]
    public async Task A_postgres_killed_with_sigkill_mid_write_recovers_and_the_interrupted_shard_is_written_once()
    {
        var corpus = CreateCorpus(copies: 48);
        await using var worker = await StartWorkerAsync(Throttled);
        var run = await SubmitAsync(corpus, shardSize: 8);
        await WaitForMidRunAsync(run, completedShards: 3);
        var log = LocalServices.PostgresLog;
        var logBefore = new FileInfo(log).Length;
        var linesBefore = worker.Output.Length;

        // The crash lands mid-write, not between writes.
        var (blocker, writers) = await HoldTheNextResultWriteAsync(worker);
        // Exact at the kill: no result can commit while the lock is held.
        var predictionsAtKill = await _stack.ScalarAsync($"SELECT count(*) FROM predictions WHERE run_id = '{run}'");
        var atKill = await ProgressAsync(run);
        var held = await ShardsHeldByAsync(worker);
        Assert.True(predictionsAtKill > 0 && predictionsAtKill < corpus.Count, $"not mid-run: {predictionsAtKill} of {corpus.Count} predictions written");

        try
        {
            var (script, elapsed) = await LocalServices.RunAsync(ServiceRestart, "kill9", "postgres");
            Log($"INJECTED: PostgreSQL postmaster and backends killed with SIGKILL and started again ({elapsed.TotalSeconds:F1} s) while {writers.Count} result write(s) of the worker "
                + $"were open (backend pid {string.Join(", ", writers)}); {predictionsAtKill} of {corpus.Count} predictions and {atKill.Completed} of {atKill.Total} shards committed; "
                + $"worker holding [{string.Join(", ", held)}]; script said:\n{script}");
        }
        finally
        {
            await LocalServices.RunAsync(ServiceRestart, "up", "postgres");
            await blocker.DisposeAsync();
        }

        NpgsqlConnection.ClearAllPools();
        var recovery = await ReadFromAsync(log, logBefore);
        Assert.True(recovery.Contains("automatic recovery in progress", StringComparison.Ordinal), $"PostgreSQL did not run crash recovery; its log after the kill:\n{recovery}");
        var recoveryLines = recovery.Split('\n').Where(l => Regex.IsMatch(l, "LOG: +(database system was interrupted|database system was not properly shut down|redo done|database system is ready)")).ToList();
        var recoveryTime = LogTime(recoveryLines.Last()) - LogTime(recoveryLines.First());
        Log($"PostgreSQL crash recovery, {recoveryTime.TotalSeconds:F1} s from its start to ready:\n  {string.Join("\n  ", recoveryLines.Select(l => l.Trim()))}");

        await WatchUntilCompletedAsync(run);
        var counts = await VerifyExactlyOnceAsync(run, corpus.Count);
        Assert.False(worker.HasExited, worker.Output);
        var afterKill = worker.Output[linesBefore..];
        var retries = Regex.Count(afterKill, "R-RETRY");
        Assert.True(retries > 0, $"the worker's interrupted write was not retried\n{afterKill}");
        Log($"VERIFIED: the write interrupted by the crash was rolled back by recovery and retried ({retries} message retr(ies) by the consumer's retry policy); {counts}");
    }

    [Fact]
    [Trait("Category", Faults)]
    public async Task A_worker_sent_sigterm_mid_run_exits_cleanly_within_its_grace_period_and_loses_nothing()
    {
        var grace = TimeSpan.FromSeconds(30);
        var corpus = CreateCorpus(copies: 48);
        await using var leaving = await StartWorkerAsync([.. Throttled, ("shutdownTimeoutSeconds", "30")]);
        var run = await SubmitAsync(corpus, shardSize: 8);
        await WaitForMidRunAsync(run, completedShards: 3);
        // Frozen first, so the SIGTERM lands while it holds a shard (the signal waits until SIGCONT delivers it).
        var (held, atSignal) = await FreezeWhileHoldingAShardAsync(leaving, run);

        var stopping = Stopwatch.StartNew();
        leaving.Terminate();
        Signals.Continue(leaving);
        await leaving.WaitForExitAsync(grace + TimeSpan.FromSeconds(60));
        stopping.Stop();
        Log($"INJECTED: SIGTERM to worker pid {leaving.Id} with {atSignal.Completed} of {atSignal.Total} shards completed, holding shard(s) [{string.Join(", ", held)}]; it exited with code {leaving.ExitCode} after {stopping.Elapsed.TotalSeconds:F1} s (grace {grace.TotalSeconds:F0} s)");
        Assert.True(leaving.ExitCode == 0, $"exit code {leaving.ExitCode}\n{leaving.Output}");
        // The grace period is the deadline the worker is given (the host stops waiting for it, as Kubernetes kills the
        // pod): draining one shard of 8 images takes about a second, so 30 s leaves a wide margin on a loaded machine.
        Assert.True(stopping.Elapsed < grace, $"took {stopping.Elapsed} to stop\n{leaving.Output}");
        var drained = await _stack.QueryAsync(
            $"SELECT shard_id, status FROM shards WHERE run_id = '{run}' AND shard_id = ANY(ARRAY[{string.Join(",", held.DefaultIfEmpty(-1))}]::bigint[])",
            r => $"{r.GetInt64(0)}:{r.GetString(1)}");
        Log($"right after its exit, the shard(s) it held: [{string.Join(", ", drained)}] (completed = drained; otherwise returned to the queue)");

        await using var successor = await StartWorkerAsync(Throttled);
        await WatchUntilCompletedAsync(run);

        var counts = await VerifyExactlyOnceAsync(run, corpus.Count);
        var finishers = (await _stack.QueryAsync($"SELECT shard_id, worker_id FROM shards WHERE run_id = '{run}'", r => (r.GetInt64(0), r.GetString(1)))).ToDictionary();
        Assert.All(held, shard => Assert.True(
            finishers[shard] == WorkerId(leaving) || counts.AttemptsOf(shard) >= 2,
            $"shard {shard} held at SIGTERM was neither drained by the leaving worker nor taken again"));
        Log($"VERIFIED: {counts}; shards by worker: {await ShardsPerWorkerAsync(run)}");
    }

    [Fact]
    [Trait("Category", Faults)]
    public async Task Malformed_and_unknown_messages_go_to_the_error_and_skipped_queues_and_the_worker_keeps_working()
    {
        await using var worker = await StartWorkerAsync();
        using var broker = new BrokerManagement(_stack);
        await Eventually.WaitUntilAsync(
            "the worker's process-shard queue exists", _stack.QueueDepthsAsync, depths => depths.ContainsKey("process-shard"), TimeSpan.FromSeconds(60), RabbitMqQueues.Describe);

        var random = new byte[512];
        new Random(5).NextBytes(random);
        var envelope = new Dictionary<string, object> { ["content_type"] = "application/vnd.masstransit+json" };
        var unknownType = Envelope("urn:message:EfficientNet.Batch.Contracts:NoSuchMessage", """{"anything":1}""");
        var invalidShard = Envelope("urn:message:EfficientNet.Batch.Contracts:ProcessShard", """{"runId":"not-a-guid","shardId":"seven","items":42}""");
        Assert.True(await broker.PublishToQueueAsync("process-shard", random), "raw bytes not routed");
        Assert.True(await broker.PublishToQueueAsync("process-shard", "{ this is not json"u8.ToArray(), envelope), "broken JSON not routed");
        Assert.True(await broker.PublishToQueueAsync("process-shard", unknownType, envelope), "unknown type not routed");
        Assert.True(await broker.PublishToQueueAsync("process-shard", invalidShard, envelope), "invalid ProcessShard not routed");
        Log("INJECTED to process-shard via the management API: 512 random bytes (no content type), '{ this is not json' as a MassTransit envelope, "
            + "an envelope of unknown type urn:message:EfficientNet.Batch.Contracts:NoSuchMessage, a ProcessShard envelope whose message is invalid JSON for the contract");

        // Measured: all four land within seconds; a message that does not deserialize is faulted before the consumer's
        // retry policy (1 s, 5 s, 15 s) would apply, which is right for a fault that can only repeat.
        var depths = await Eventually.WaitUntilAsync(
            "3 messages in process-shard_error, 1 in process-shard_skipped and none left in process-shard",
            _stack.QueueDepthsAsync,
            d => d.GetValueOrDefault(ErrorQueue) == 3 && d.GetValueOrDefault(SkippedQueue) == 1 && d.GetValueOrDefault("process-shard") == 0,
            TimeSpan.FromSeconds(90),
            d => $"{RabbitMqQueues.Describe(d)}\n{worker.Output}");
        var (errors, skipped) = (depths[ErrorQueue], depths[SkippedQueue]);
        Log($"dead-lettered: {ErrorQueue} = {errors}, {SkippedQueue} = {skipped}; worker still running: {!worker.HasExited}");
        var faulted = await broker.PeekFaultsAsync(ErrorQueue, 10);
        var deadLettered = await broker.PeekFaultsAsync(SkippedQueue, 10);
        foreach (var fault in faulted.Select(f => $"  {ErrorQueue}: {f}").Concat(deadLettered.Select(f => $"  {SkippedQueue}: {f}")))
        {
            Log(fault);
        }

        // MassTransit faults a message it cannot deserialize (MT-Reason=fault, the exception in the headers) and
        // dead-letters one whose type no consumer of the endpoint knows (MT-Reason=dead-letter).
        Assert.Equal(3, faulted.Count(f => f.StartsWith("MT-Reason=fault,", StringComparison.Ordinal)));
        Assert.Equal(2, faulted.Count(f => f.Contains("JsonReaderException", StringComparison.Ordinal)));
        Assert.Single(deadLettered, f => f.StartsWith("MT-Reason=dead-letter,", StringComparison.Ordinal));

        Assert.False(worker.HasExited, worker.Output);

        var corpus = CreateCorpus(copies: 4);
        var (exitCode, text) = await ChildProcess.RunAsync(
            "enb", _stack.Environment, RunEnd, "submit", corpus.Path, "--model", TestPaths.TestModel, "--shard-size", "4", "--error-budget", "0", "--wait");
        Assert.True(exitCode == ExitCodes.Success, text);
        var run = RunId(text);

        var counts = await VerifyExactlyOnceAsync(run, corpus.Count, errorQueue: 3);
        // Depths from the broker node, read until they settle: every message of the run was acked after its commit.
        await Eventually.WaitUntilAsync(
            "process-shard empty after the run", _stack.QueueDepthsAsync, d => d.GetValueOrDefault("process-shard") == 0, TimeSpan.FromSeconds(60), RabbitMqQueues.Describe);
        Log($"VERIFIED: a run submitted after the bad messages completed on the same worker (pid {worker.Id}): {counts}");
    }

    [Fact]
    [Trait("Category", Faults)]
    public async Task A_hung_worker_shard_is_republished_by_the_sweeper_after_its_lease_expires_and_duplicates_are_harmless()
    {
        var corpus = CreateCorpus(copies: 24);
        await using var scheduler = await StartServeAsync(("Scheduler__ShardLeaseSeconds", "10"), ("Scheduler__SweepIntervalSeconds", "2"));
        // One shard at a time on the worker that will hang, so it holds exactly one shard (and prefetches no other).
        await using var hung = await StartWorkerAsync(("Pipeline__ShardConcurrency", "1"), ("Pipeline__ImagesInFlightPerShard", "1"), ("Inference__BatchSize", "1"));
        await using var healthy = await StartWorkerAsync(Throttled);
        var run = await SubmitAsync(corpus, shardSize: 8);

        long stuck = -1;
        try
        {
            await Eventually.WaitUntilAsync("the worker to hang holds a running shard", async () => (await ShardsHeldByAsync(hung)).Count == 1, TimeSpan.FromSeconds(60));
            for (var attempt = 0; attempt < 50 && stuck < 0; attempt++)
            {
                Signals.Stop(hung);
                // What it sent before the signal has reached the server.
                await Task.Delay(100);
                var held = await ShardsHeldByAsync(hung);
                // Frozen inside a COPY of its results, it would keep the shard until it resumes: PostgreSQL does not
                // cancel a COPY waiting for client data (docs/reliability.md, the hung-worker row of the summary).
                // Not the case under test.
                if (held.Count == 1 && await ResultCopiesStreamingAsync() == 0)
                {
                    stuck = held[0];
                    break;
                }

                // It was between two shards, or streaming rows, when it froze: let it go on, and freeze it again.
                Signals.Continue(hung);
                await Task.Delay(100);
            }

            Assert.True(stuck > 0, "could not freeze the worker while it held a shard");
            var progress = await ProgressAsync(run);
            Log($"INJECTED: SIGSTOP to worker pid {hung.Id} (hung: connection open, message unacked, lease not renewed) while it held shard {stuck}; {progress.Completed} of {progress.Total} shards completed; lease 10 s, sweep every 2 s");

            await scheduler.WaitForOutputAsync($"Re-published shard {stuck} of run", TimeSpan.FromSeconds(60));
            Log($"the sweeper re-published shard {stuck}");
            await Eventually.WaitUntilAsync("the run completed (by enb serve)", async () => await RunStatusAsync(run) == "completed", RunEnd);

            var counts = await VerifyExactlyOnceAsync(run, corpus.Count);
            var finisher = await _stack.QueryAsync($"SELECT worker_id FROM shards WHERE run_id = '{run}' AND shard_id = {stuck}", r => r.GetString(0));
            Assert.Equal(WorkerId(healthy), finisher.Single());
            Assert.True(counts.AttemptsOf(stuck) >= 2, $"shard {stuck}: {counts.AttemptsOf(stuck)} attempts");
            var republished = Regex.Count(scheduler.Output, "Re-published shard");
            Log($"VERIFIED while the worker hung: shard {stuck} completed by pid {healthy.Id} on attempt {counts.AttemptsOf(stuck)}; {republished} re-publish(es) by the sweeper in all; {counts}");

            // The hung worker wakes up with a stale copy of the shard: it either commits it (idempotent: nothing is
            // written twice) or, when its first lease renewal finds the run already ended, drops it without writing; when
            // it hung inside its result transaction, PostgreSQL has ended that session, and the retried delivery finds the
            // shard done and skips it.
            Signals.Continue(hung);
            var committed = $"Shard {stuck} of run {run} committed";
            var dropped = $"Shard {stuck} of run {run} stopped: its run has ended";
            var skipped = $"Shard {stuck} of run {run} is already done or its run has stopped; skipping";
            await Eventually.WaitUntilAsync(
                "the resumed worker commits, drops or skips its stale copy",
                () => Task.FromResult(new[] { committed, dropped, skipped }.Any(line => hung.Output.Contains(line, StringComparison.Ordinal))),
                TimeSpan.FromSeconds(60),
                () => hung.Output);
            var after = await VerifyExactlyOnceAsync(run, corpus.Count);
            var outcome = hung.Output.Contains(committed, StringComparison.Ordinal) ? "committed its stale copy"
                : hung.Output.Contains(dropped, StringComparison.Ordinal) ? "dropped its stale copy (the run had ended)"
                : "found the shard done on the retried delivery and skipped it (its hung transaction had been ended by PostgreSQL)";
            Log($"SIGCONT: pid {hung.Id} resumed and {outcome} of shard {stuck}; counts unchanged: {after}");
        }
        finally
        {
            Signals.Continue(hung);
        }
    }

    // ------------------------------------------------------------------------------------------------------------

    private void Log(string message) => output.WriteLine($"[{_clock.Elapsed.TotalSeconds,6:F1} s] {message}");

    private static IEnumerable<string> Photos() =>
        Directory.EnumerateFiles(TestPaths.SamplePhotos).Where(f => !f.EndsWith(".md", StringComparison.Ordinal)).Order(StringComparer.Ordinal);

    /// <summary>A local folder of <paramref name="copies"/> copies of every sample photo (workers on this machine read it directly).</summary>
    private Corpus CreateCorpus(int copies)
    {
        var folder = new TempDirectory("enb-faults");
        _folders.Add(folder);
        var count = 0;
        for (var copy = 0; copy < copies; copy++)
        {
            foreach (var photo in Photos())
            {
                File.Copy(photo, Path.Combine(folder.Path, $"c{copy:D3}-{Path.GetFileName(photo)}"));
                count++;
            }
        }

        Log($"corpus: {count} images ({copies} copies of {count / copies} sample photos) in {folder.Path}");
        return new Corpus(folder.Path, count);
    }

    private async Task<ChildProcess> StartWorkerAsync(params (string Key, string Value)[] settings)
    {
        var worker = _stack.StartWorker(settings);
        await worker.WaitForOutputAsync("Now listening on", WorkerStart);
        return worker;
    }

    private async Task<ChildProcess> StartServeAsync(params (string Key, string Value)[] settings)
    {
        var environment = new Dictionary<string, string>(_stack.Environment);
        foreach (var (key, value) in settings)
        {
            environment[key] = value;
        }

        // Not through the stack: serve needs its own settings. Disposed by the test (await using).
        var serve = ChildProcess.Start("enb", environment, "serve", "--urls", "http://127.0.0.1:0");
        await serve.WaitForOutputAsync("Now listening on", WorkerStart);
        return serve;
    }

    private async Task<Guid> SubmitAsync(Corpus corpus, int shardSize)
    {
        var (exitCode, text) = await ChildProcess.RunAsync(
            "enb", _stack.Environment, RunEnd, "submit", corpus.Path, "--model", TestPaths.TestModel,
            "--shard-size", shardSize.ToString(System.Globalization.CultureInfo.InvariantCulture), "--error-budget", "0");
        Assert.True(exitCode == ExitCodes.Success, text);
        var run = RunId(text);
        Log($"submitted run {run}: {corpus.Count} images in shards of {shardSize}");
        return run;
    }

    private static Guid RunId(string submitOutput)
    {
        var match = Regex.Match(submitOutput, "^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$", RegexOptions.Multiline);
        Assert.True(match.Success, submitOutput);
        return Guid.Parse(match.Value);
    }

    private static string WorkerId(ChildProcess worker) => $"{Environment.MachineName}:{worker.Id}";

    /// <summary>Running shards a worker has claimed (a worker's id is its machine name and process id).</summary>
    private Task<List<long>> ShardsHeldByAsync(ChildProcess worker) =>
        _stack.QueryAsync($"SELECT shard_id FROM shards WHERE status = 'running' AND worker_id = '{WorkerId(worker)}' ORDER BY shard_id", r => r.GetInt64(0));

    private async Task<(long Completed, long Total)> ProgressAsync(Guid run)
    {
        var rows = await _stack.QueryAsync(
            $"SELECT count(*) FILTER (WHERE status = 'completed'), count(*) FROM shards WHERE run_id = '{run}'", r => (r.GetInt64(0), r.GetInt64(1)));
        return rows.Single();
    }

    private async Task<string> RunStatusAsync(Guid run) =>
        (await _stack.QueryAsync($"SELECT status FROM runs WHERE id = '{run}'", r => r.GetString(0))).Single();

    /// <summary>Backends inside a COPY of predictions (any worker's: a healthy worker's COPY lasts milliseconds).</summary>
    private Task<long> ResultCopiesStreamingAsync() =>
        _stack.ScalarAsync("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE 'COPY predictions%'");

    /// <summary>
    /// Holds the worker's next result write inside its transaction (shard row locked, rows already stored read, COPY
    /// predictions waiting) with a lock on predictions, taken on a connection of its own; returns that connection (its
    /// transaction holds the lock until it is disposed or the server goes down) and the waiting writers' backend pids.
    /// No result can commit meanwhile, so a fault injected next lands mid-write and mid-run.
    /// </summary>
    private async Task<(NpgsqlConnection Blocker, List<int> Writers)> HoldTheNextResultWriteAsync(ChildProcess worker)
    {
        var blockerSettings = new NpgsqlConnectionStringBuilder(_stack.PostgresConnectionString) { Pooling = false, ApplicationName = "enb-fault-blocker" };
        var blocker = new NpgsqlConnection(blockerSettings.ConnectionString);
        await blocker.OpenAsync();
        await using (var lockTable = new NpgsqlCommand("BEGIN; LOCK TABLE predictions IN EXCLUSIVE MODE", blocker))
        {
            await lockTable.ExecuteNonQueryAsync();
        }

        var writers = await Eventually.WaitUntilAsync(
            "the worker's result write waiting inside its transaction",
            () => _stack.QueryAsync(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%COPY predictions%'",
                r => r.GetInt32(0)),
            pids => pids.Count > 0,
            TimeSpan.FromSeconds(60),
            pids => $"{pids.Count} waiting writer(s)\n{worker.Output}");
        return (blocker, writers);
    }

    /// <summary>Waits until planning is final and at least <paramref name="completedShards"/> shards are done; fails if the run already ended (too fast to inject into).</summary>
    private async Task<(long Completed, long Total)> WaitForMidRunAsync(Guid run, int completedShards)
    {
        await Eventually.WaitUntilAsync(
            $"planning done and {completedShards} shards completed",
            async () => await _stack.ScalarAsync($"SELECT count(*) FROM runs WHERE id = '{run}' AND planning_completed_at IS NOT NULL") == 1
                && (await ProgressAsync(run)).Completed >= completedShards,
            TimeSpan.FromSeconds(60));
        var progress = await ProgressAsync(run);
        Assert.True(progress.Completed < progress.Total, $"the run finished before the fault could be injected ({progress.Completed} of {progress.Total} shards)");
        return progress;
    }

    /// <summary>
    /// Freezes the worker (SIGSTOP) at a moment it holds at least one leased, uncommitted shard, so the fault injected
    /// next provably hits a shard in progress; returns those shards and the run's progress then (strictly between none
    /// and all shards completed).
    /// </summary>
    private async Task<(List<long> Held, (long Completed, long Total) Progress)> FreezeWhileHoldingAShardAsync(ChildProcess worker, Guid run)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            Signals.Stop(worker);
            var held = await ShardsHeldByAsync(worker);
            if (held.Count > 0)
            {
                var progress = await ProgressAsync(run);
                Assert.True(progress.Completed > 0 && progress.Completed < progress.Total, $"not mid-run when frozen: {progress.Completed} of {progress.Total} shards completed");
                return (held, progress);
            }

            // It was between two shards: let it take the next one.
            Signals.Continue(worker);
            await Task.Delay(100);
        }

        Signals.Continue(worker);
        Assert.Fail($"worker pid {worker.Id} held no shard in 100 freezes");
        return default;
    }

    /// <summary>The timestamp PostgreSQL's default log_line_prefix puts first ("2026-12-06 16:19:43.029 UTC [pid] LOG: ...").</summary>
    private static DateTime LogTime(string line) =>
        DateTime.ParseExact(line[..23], "yyyy-MM-dd HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<string> ReadFromAsync(string path, long offset)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Seek(offset, SeekOrigin.Begin);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }

    /// <summary><c>enb status run --watch</c> as its own process: it follows the run and ends it once every shard is done.</summary>
    private async Task WatchUntilCompletedAsync(Guid run)
    {
        var clock = Stopwatch.StartNew();
        var (exitCode, text) = await ChildProcess.RunAsync("enb", _stack.Environment, RunEnd, "status", run.ToString(), "--watch");
        Assert.True(exitCode == ExitCodes.Success, text);
        Assert.Equal("completed", await RunStatusAsync(run));
        Log($"enb status --watch: run completed {clock.Elapsed.TotalSeconds:F1} s after the watch began");
    }

    private async Task<string> ShardsPerWorkerAsync(Guid run)
    {
        var rows = await _stack.QueryAsync(
            $"SELECT worker_id, count(*) FROM shards WHERE run_id = '{run}' GROUP BY worker_id ORDER BY worker_id", r => $"{r.GetString(0)}={r.GetInt64(1)}");
        return string.Join(", ", rows);
    }

    /// <summary>Polls the process's /health/ready (database and bus checks) until it answers Healthy.</summary>
    private async Task WaitForHealthyAsync(string what, ChildProcess process)
    {
        var url = Regex.Match(process.Output, @"Now listening on: (http://127\.0\.0\.1:\d+)").Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(url), process.Output);
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(5) };
        var last = "";
        var clock = Stopwatch.StartNew();
        await Eventually.WaitUntilAsync(
            $"{what} /health/ready answers Healthy",
            async () =>
            {
                try
                {
                    using var response = await http.GetAsync("/health/ready");
                    last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
                    return response.IsSuccessStatusCode && last.EndsWith("Healthy", StringComparison.Ordinal);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    last = e.Message;
                    return false;
                }
            },
            TimeSpan.FromSeconds(60),
            () => $"last answer: {last}\n{process.Output}");
        Log($"{what} pid {process.Id}: /health/ready {last} ({clock.Elapsed.TotalSeconds:F1} s after the restart returned)");
    }

    /// <summary>
    /// Polls a process's /health/ready every 200 ms until cancelled; returns the answers it saw, repeats folded, each
    /// with the run's shard counts read when it first appeared (so a fault is placed in the run as the process saw it).
    /// </summary>
    private static async Task<List<HealthSample>> SampleHealthAsync(
        ChildProcess process, Func<Task<ShardCounts>>? progress, List<HealthSample> states, CancellationToken cancellationToken)
    {
        var url = Regex.Match(process.Output, @"Now listening on: (http://127\.0\.0\.1:\d+)").Groups[1].Value;
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(5) };
        while (!cancellationToken.IsCancellationRequested)
        {
            string state;
            try
            {
                using var response = await http.GetAsync("/health/ready", cancellationToken);
                state = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}";
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                state = $"no answer ({e.GetType().Name})";
            }

            bool changed;
            lock (states)
            {
                changed = states.Count == 0 || states[^1].State != state;
            }

            if (changed)
            {
                ShardCounts? counts = null;
                try
                {
                    counts = progress is null ? null : await progress();
                }
                catch (NpgsqlException)
                {
                    // Only the broker is down in these tests; a failed read just leaves this sample without counts.
                }

                lock (states)
                {
                    states.Add(new HealthSample(state, counts));
                }
            }

            try
            {
                await Task.Delay(200, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return states;
    }

    /// <summary>
    /// Waits until the sampler itself has seen the outage (503) and Healthy after it: the process answering Healthy to
    /// another poll first does not mean the sampler has recorded it yet.
    /// </summary>
    private static Task WaitForRecoverySampledAsync(List<HealthSample> samples)
    {
        string Describe()
        {
            lock (samples)
            {
                return string.Join(" -> ", samples);
            }
        }

        return Eventually.WaitUntilAsync(
            "the readiness samples show the outage (503) and Healthy after it",
            () =>
            {
                lock (samples)
                {
                    var down = samples.FindIndex(s => s.State.StartsWith("503 ", StringComparison.Ordinal));
                    return Task.FromResult(down >= 0 && samples.FindIndex(down, s => s.IsHealthy) > down);
                }
            },
            TimeSpan.FromSeconds(30),
            Describe);
    }

    /// <summary>
    /// The worker's view of a broker outage: the shard counts when its readiness first dropped (asserted strictly
    /// between none and all completed: the fault hit the run mid-way) and when it was Healthy again.
    /// </summary>
    private static (ShardCounts Lost, ShardCounts Back) MidRunOutage(List<HealthSample> states)
    {
        // An answer, not a timeout: the process itself reports its bus down (a frozen process does not answer at all).
        var down = states.FindIndex(s => s.State.StartsWith("503 ", StringComparison.Ordinal));
        Assert.True(down >= 0, $"the worker's readiness never dropped: {string.Join(" -> ", states)}");
        var up = states.FindIndex(down, s => s.IsHealthy);
        Assert.True(up > down, $"the worker's readiness did not come back: {string.Join(" -> ", states)}");
        var (lost, back) = (states[down].Counts, states[up].Counts);
        Assert.True(lost is not null && back is not null, $"no shard counts read at the outage: {string.Join(" -> ", states)}");
        Assert.True(lost.Completed > 0 && lost.Completed < lost.Total, $"not mid-run when the worker lost the broker: {lost}");
        return (lost, back);
    }

    /// <summary>
    /// Runs <c>services.sh COMMAND rabbitmq</c> (restart, kill9) with the worker frozen (SIGSTOP) until the broker refuses
    /// connections, so the run cannot finish before the outage: the worker meets it mid-run, then lives through the rest
    /// (the stop's end, the start) as it would unfrozen. Returns what the script said and how long it took.
    /// </summary>
    private static async Task<(string Output, TimeSpan Elapsed)> StopTheBrokerWithTheWorkerFrozenAsync(ChildProcess worker, string command)
    {
        Signals.Stop(worker);
        var script = LocalServices.RunAsync(ServiceRestart, command, "rabbitmq");
        try
        {
            await Eventually.WaitUntilAsync(
                $"the broker refuses connections (services.sh {command} rabbitmq)", () => BrokerAcceptsAsync().ContinueWith(t => !t.Result), ServiceRestart);
        }
        finally
        {
            Signals.Continue(worker);
        }

        return await script;
    }

    /// <summary>Whether the broker's AMQP port accepts a TCP connection.</summary>
    private static async Task<bool> BrokerAcceptsAsync()
    {
        var amqp = new Uri(ServiceEnvironment.RabbitMq);
        using var client = new System.Net.Sockets.TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await client.ConnectAsync(amqp.Host, amqp.Port, timeout.Token);
            return true;
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    private async Task<ShardCounts> ShardCountsAsync(Guid run) =>
        (await _stack.QueryAsync(
            $"SELECT count(*) FILTER (WHERE status = 'completed'), count(*) FILTER (WHERE status = 'pending'), count(*) FROM shards WHERE run_id = '{run}'",
            r => new ShardCounts(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2)))).Single();

    /// <summary>
    /// The promise: every image of the corpus has exactly one prediction in the run, none failed, every shard is
    /// completed, the run is completed, and no shard ended in the error queue.
    /// </summary>
    private async Task<RunCounts> VerifyExactlyOnceAsync(Guid run, int corpusSize, long errorQueue = 0)
    {
        var where = $"run_id = '{run}'";
        var counts = new RunCounts(
            Images: await _stack.ScalarAsync("SELECT count(*) FROM images"),
            Predictions: await _stack.ScalarAsync($"SELECT count(*) FROM predictions WHERE {where}"),
            DistinctImagesPredicted: await _stack.ScalarAsync($"SELECT count(DISTINCT image_id) FROM predictions WHERE {where}"),
            ImagesWithoutPrediction: await _stack.ScalarAsync($"SELECT count(*) FROM images i WHERE NOT EXISTS (SELECT 1 FROM predictions p WHERE p.{where} AND p.image_id = i.id)"),
            Failures: await _stack.ScalarAsync($"SELECT count(*) FROM failures WHERE {where}"),
            Shards: await _stack.ScalarAsync($"SELECT count(*) FROM shards WHERE {where}"),
            UnfinishedShards: await _stack.ScalarAsync($"SELECT count(*) FROM shards WHERE {where} AND status <> 'completed'"),
            ShardOkSum: await _stack.ScalarAsync($"SELECT COALESCE(sum(ok_count), 0) FROM shards WHERE {where}"),
            Attempts: (await _stack.QueryAsync($"SELECT shard_id, attempts FROM shards WHERE {where}", r => (r.GetInt64(0), r.GetInt32(1)))).ToDictionary(),
            ErrorQueue: await ErrorQueueDepthAsync());

        Assert.Equal("completed", await RunStatusAsync(run));
        Assert.Equal(corpusSize, counts.Images);
        Assert.Equal(corpusSize, counts.Predictions);
        Assert.Equal(corpusSize, counts.DistinctImagesPredicted);
        Assert.Equal(0, counts.ImagesWithoutPrediction);
        Assert.Equal(0, counts.Failures);
        Assert.Equal(0, counts.UnfinishedShards);
        Assert.Equal(corpusSize, counts.ShardOkSum);
        Assert.Equal(errorQueue, counts.ErrorQueue);
        return counts;
    }

    private async Task<long> ErrorQueueDepthAsync() => (await _stack.QueueDepthsAsync()).GetValueOrDefault(ErrorQueue);

    private static byte[] Envelope(string messageType, string messageJson)
    {
        var json = $$"""
            {
              "messageId": "{{Guid.NewGuid()}}",
              "conversationId": "{{Guid.NewGuid()}}",
              "sourceAddress": "rabbitmq://127.0.0.1/fault-injection",
              "destinationAddress": "rabbitmq://127.0.0.1/process-shard",
              "messageType": ["{{messageType}}"],
              "message": {{messageJson}},
              "sentTime": "{{DateTime.UtcNow:O}}",
              "headers": {}
            }
            """;
        return Encoding.UTF8.GetBytes(json);
    }

    private sealed record Corpus(string Path, int Count);

    private sealed record ShardCounts(long Completed, long Pending, long Total)
    {
        public override string ToString() => $"{Completed} of {Total} shards completed, {Pending} queued";
    }

    private sealed record HealthSample(string State, ShardCounts? Counts)
    {
        public bool IsHealthy => State == "200 Healthy";

        public override string ToString() => Counts is null ? State : $"{State} ({Counts})";
    }

    private sealed record RunCounts(
        long Images,
        long Predictions,
        long DistinctImagesPredicted,
        long ImagesWithoutPrediction,
        long Failures,
        long Shards,
        long UnfinishedShards,
        long ShardOkSum,
        Dictionary<long, int> Attempts,
        long ErrorQueue)
    {
        public int AttemptsOf(long shard) => Attempts.TryGetValue(shard, out var attempts) ? attempts : 0;

        public override string ToString() =>
            $"images={Images}, predictions={Predictions} (distinct images {DistinctImagesPredicted}), images without prediction={ImagesWithoutPrediction}, "
            + $"failures={Failures}, shards={Shards} (unfinished {UnfinishedShards}, extra attempts {Attempts.Values.Sum(a => a - 1)} on {Attempts.Values.Count(a => a > 1)} shard(s)), "
            + $"sum of shard ok_count={ShardOkSum}, messages in process-shard_error={ErrorQueue}";
    }
}
