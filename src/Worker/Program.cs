// The standalone worker process serves distributed mode (RabbitMQ + Postgres), which is not built yet (issue 3).
// Embedded mode composes the same pipeline in-process through AddInferenceWorker (see src/Scheduler/Embedded).
Console.Error.WriteLine("error: the standalone worker needs distributed mode (RabbitMQ + PostgreSQL), which this version does not have yet; use 'enb label <folder>' (embedded mode)");
return 3;
