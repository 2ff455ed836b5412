using System.CommandLine;
using EfficientNet.Batch.Scheduler.Cli;

namespace EfficientNet.Batch.Scheduler.Commands;

/// <summary><c>pseudo-label</c>: the Noisy-Student workflow, teacher pass → selection → export, repeated per generation.</summary>
public sealed class PseudoLabelCommand
{
    public PseudoLabelCommand(CliConsole console)
    {
        Command = new Command("pseudo-label", "Noisy-Student pseudo-labels: teacher passes, per-class selection, export for student training.")
        {
            new PseudoLabelTeachCommand(console).Command,
            new PseudoLabelSelectCommand(console).Command,
            new PseudoLabelExportCommand(console).Command,
            new PseudoLabelCompareCommand(console).Command,
            new PseudoLabelSetsCommand(console).Command,
        };
    }

    public Command Command { get; }
}
