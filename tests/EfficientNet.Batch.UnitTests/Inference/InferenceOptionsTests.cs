using EfficientNet.Batch.Worker.Inference;

namespace EfficientNet.Batch.UnitTests.Inference;

public sealed class InferenceOptionsTests
{
    [Fact]
    public void Cuda_provider_options_carry_the_configured_values_under_onnx_runtime_names()
    {
        var options = new InferenceOptions
        {
            CudnnConvAlgoSearch = CudnnConvAlgoSearch.Heuristic,
            ArenaExtendStrategy = CudaArenaExtendStrategy.SameAsRequested,
            GpuMemLimitBytes = 8L << 30,
            CudnnConvMaxWorkspace = true,
        };

        var values = options.CudaProviderOptions(deviceId: 3);

        Assert.Equal("3", values["device_id"]);
        Assert.Equal("HEURISTIC", values["cudnn_conv_algo_search"]);
        Assert.Equal("kSameAsRequested", values["arena_extend_strategy"]);
        Assert.Equal("8589934592", values["gpu_mem_limit"]);
        Assert.Equal("1", values["cudnn_conv_use_max_workspace"]);
    }

    [Fact]
    public void Defaults_leave_the_memory_limit_and_workspace_to_onnx_runtime()
    {
        var values = new InferenceOptions().CudaProviderOptions(deviceId: 0);

        Assert.Equal("EXHAUSTIVE", values["cudnn_conv_algo_search"]);
        Assert.Equal("kNextPowerOfTwo", values["arena_extend_strategy"]);
        Assert.False(values.ContainsKey("gpu_mem_limit"));
        Assert.False(values.ContainsKey("cudnn_conv_use_max_workspace"));
    }

    [Theory]
    [InlineData(ExecutionProviderPreference.Auto, new[] { 0, 1, 1, 2 }, new[] { 0, 1, 2 })]
    [InlineData(ExecutionProviderPreference.Cuda, new int[0], new[] { 5 })]
    [InlineData(ExecutionProviderPreference.Cpu, new[] { 0, 1 }, new[] { 5 })]
    public void One_session_per_distinct_device_and_one_on_cpu(ExecutionProviderPreference provider, int[] deviceIds, int[] expected)
    {
        var options = new InferenceOptions { ExecutionProvider = provider, DeviceId = 5, DeviceIds = deviceIds };
        Assert.Equal(expected, options.EffectiveDeviceIds);
    }
}
