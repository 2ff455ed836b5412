using EfficientNet.Batch.Messaging;

namespace EfficientNet.Batch.Scheduler.Cli;

/// <summary>Checks, before anything starts, that a distributed command has the connections it needs, naming the missing one.</summary>
public static class DistributedOptions
{
    public static string RequireRabbitMq()
    {
        var value = CliConfiguration.ConnectionString(ConnectionNames.RabbitMq);
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new CliException($"this command needs RabbitMQ: set ConnectionStrings__{ConnectionNames.RabbitMq} (amqp://user:password@host:5672/), or ConnectionStrings:RabbitMq in the ENB_CONFIG_FILE file; scripts/services.sh env prints it for local services");
        }

        try
        {
            RabbitMqAddress.Parse(value);
        }
        catch (FormatException e)
        {
            throw new CliException(e.Message);
        }

        return value;
    }

    public static void RequirePostgres(DatabaseChoice database)
    {
        if (!database.IsPostgres)
        {
            throw new CliException($"this command needs PostgreSQL: set ConnectionStrings__{ConnectionNames.Postgres} or pass --postgres; scripts/services.sh env prints it for local services");
        }
    }
}
