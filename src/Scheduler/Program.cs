using EfficientNet.Batch.Scheduler;
using EfficientNet.Batch.Scheduler.Cli;

return await CliApplication.RunAsync(args, CliConsole.System);
