using System.Reflection;
using System.Runtime.InteropServices;
using Cloud.Unum.USearch;
using EfficientNet.Batch.Storage.Embeddings;

namespace EfficientNet.Batch.Scheduler.Embeddings;

/// <summary>
/// An approximate nearest-neighbour index (USearch's HNSW, cosine) over a run's embeddings, keyed by image id, with
/// its <see cref="IndexManifest"/>. Built in memory from a stream, saved atomically (temp names, then renames), and
/// opened from its file as a memory-mapped view for queries. Searches are safe from several threads at once.
/// </summary>
public sealed partial class VectorIndex : IDisposable
{
    /// <summary>Graph degree: USearch's default (16). Higher raises recall and build time.</summary>
    public const int DefaultConnectivity = 16;

    /// <summary>Candidates kept while inserting (USearch's default 128); the main knob between build time and recall.</summary>
    public const int DefaultExpansionAdd = 128;

    /// <summary>
    /// Candidates kept while searching (USearch's default 64); raises recall at the cost of query time. Unlike the
    /// insert expansion it can change without a rebuild: the manifest's value is applied when an index is opened.
    /// </summary>
    public const int DefaultExpansionSearch = 64;

    private readonly USearchIndex _index;
    private readonly ReaderWriterLockSlim _growth = new();

    private VectorIndex(USearchIndex index, IndexManifest manifest)
    {
        _index = index;
        Manifest = manifest;
    }

    public IndexManifest Manifest { get; private set; }

    public long Count => (long)_index.Size();

    /// <summary>An empty index for embeddings of <paramref name="manifest"/>'s run, model and dimension.</summary>
    public static VectorIndex Create(IndexManifest manifest, IndexPrecision precision)
    {
        var index = new USearchIndex(
            MetricKind.Cos, precision.ScalarKind(), (ulong)manifest.Dimensions, (ulong)manifest.Connectivity,
            (ulong)manifest.ExpansionAdd, (ulong)manifest.ExpansionSearch);
        var built = new VectorIndex(index, manifest with { Precision = precision.Text(), Count = 0 });
        built.Reserve(Math.Max(manifest.Count, 1));
        return built;
    }

    /// <summary>
    /// Builds an index from a stream of embeddings, <paramref name="threads"/> inserting at once (USearch's graph takes
    /// concurrent inserts once its capacity is reserved). A vector of another dimension stops the build.
    /// </summary>
    public static async Task<VectorIndex> BuildAsync(
        IndexManifest manifest, IndexPrecision precision, IAsyncEnumerable<StoredEmbedding> embeddings, int threads, CancellationToken cancellationToken)
    {
        var index = Create(manifest, precision);
        try
        {
            await index.AddAsync(embeddings, threads, cancellationToken);
            return index;
        }
        catch
        {
            index.Dispose();
            throw;
        }
    }

    /// <summary>Inserts a stream of embeddings with several threads; returns how many were added.</summary>
    public async Task<long> AddAsync(IAsyncEnumerable<StoredEmbedding> embeddings, int threads, CancellationToken cancellationToken)
    {
        var added = await FanOut.RunAsync(
            embeddings,
            threads,
            e =>
            {
                if (e.Vector.Length != Manifest.Dimensions)
                {
                    throw new IndexMismatchException(
                        $"dimension mismatch: image {e.Key} has a {e.Vector.Length}-d embedding, the index holds {Manifest.Dimensions}-d");
                }

                Add(e.ImageId, e.Vector);
            },
            cancellationToken);
        Manifest = Manifest with { Count = Count };
        return added;
    }

    /// <summary>Adds one vector; grows the graph (exclusively) when its reserved capacity is full.</summary>
    public void Add(long imageId, float[] vector)
    {
        _growth.EnterReadLock();
        var full = false;
        try
        {
            full = _index.Size() >= _index.Capacity();
            if (!full)
            {
                _index.Add((ulong)imageId, vector);
            }
        }
        finally
        {
            _growth.ExitReadLock();
        }

        if (full)
        {
            _growth.EnterWriteLock();
            try
            {
                if (_index.Size() >= _index.Capacity())
                {
                    Reserve((long)_index.Capacity() * 2);
                }

                _index.Add((ulong)imageId, vector);
            }
            finally
            {
                _growth.ExitWriteLock();
            }
        }
    }

    /// <summary>The <paramref name="k"/> nearest images to <paramref name="vector"/>, most similar first.</summary>
    public IReadOnlyList<Neighbour> Search(float[] vector, int k)
    {
        ArgumentNullException.ThrowIfNull(vector);
        if (vector.Length != Manifest.Dimensions)
        {
            throw new IndexMismatchException($"dimension mismatch: index of run {Manifest.RunName} holds {Manifest.Dimensions}-d embeddings, the query has {vector.Length}");
        }

        var found = _index.Search(vector, k, out var keys, out var distances);
        var neighbours = new Neighbour[found];
        for (var i = 0; i < found; i++)
        {
            // USearch's cosine distance is 1 - cos(a, b).
            neighbours[i] = new Neighbour((long)keys[i], 1f - distances[i]);
        }

        return neighbours;
    }

    /// <summary>
    /// Writes the index and its manifest under temporary names in the target folder, then renames both (manifest
    /// first), so a reader never sees a partial file; a failure removes the temporary files.
    /// </summary>
    public void Save(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var suffix = $".tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        var (indexTemp, manifestTemp) = (full + suffix, IndexManifest.PathFor(full) + suffix);
        try
        {
            _index.Save(indexTemp);
            File.WriteAllText(manifestTemp, (Manifest with { Count = Count }).ToJson());
            File.Move(manifestTemp, IndexManifest.PathFor(full), overwrite: true);
            File.Move(indexTemp, full, overwrite: true);
        }
        finally
        {
            File.Delete(indexTemp);
            File.Delete(manifestTemp);
        }
    }

    /// <summary>
    /// Opens a saved index as a memory-mapped view (pages load as queries touch them). A missing or foreign manifest,
    /// or a file USearch cannot read, is an <see cref="IndexMismatchException"/>.
    /// </summary>
    public static VectorIndex Open(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"index file not found: {path}", path);
        }

        var manifest = IndexManifest.Read(path);
        USearchIndex index;
        try
        {
            index = new USearchIndex(path, view: true);
        }
        catch (USearchException e)
        {
            throw new IndexMismatchException($"cannot read index {path}: {e.Message}");
        }

        if ((int)index.Dimensions() != manifest.Dimensions)
        {
            index.Dispose();
            throw new IndexMismatchException($"index {path} holds {index.Dimensions()}-d vectors but its manifest says {manifest.Dimensions}");
        }

        var opened = new VectorIndex(index, manifest);
        try
        {
            opened.ChangeSearchExpansion(manifest.ExpansionSearch);
            return opened;
        }
        catch
        {
            opened.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Sets the candidates kept per search (HNSW's ef): recall rises and queries slow as it grows. USearch keeps it in
    /// memory only (a saved file does not hold it); the manifest records it.
    /// </summary>
    public void ChangeSearchExpansion(int expansion)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(expansion, 1);
        NativeChangeExpansionSearch(Handle, (nuint)expansion, out var error);
        ThrowOn(error, "usearch_change_expansion_search failed");
        Manifest = Manifest with { ExpansionSearch = expansion };
    }

    /// <summary>The candidates kept per search now in force, as USearch reports it.</summary>
    public int SearchExpansion
    {
        get
        {
            var expansion = NativeExpansionSearch(Handle, out var error);
            ThrowOn(error, "usearch_expansion_search failed");
            return checked((int)expansion);
        }
    }

    public void Dispose()
    {
        _index.Dispose();
        _growth.Dispose();
    }

    /// <summary>
    /// Cloud.Unum.USearch 2.26.6 exposes neither a Reserve nor a way to change the search expansion. Its Add grows
    /// capacity one vector at a time, and not safely from several threads. The native usearch_reserve (part of USearch's
    /// C API) on the wrapper's handle sizes the graph once, which is what makes concurrent inserts valid;
    /// usearch_change_expansion_search (same API) is <see cref="ChangeSearchExpansion"/>.
    /// </summary>
    private void Reserve(long capacity)
    {
        NativeReserve(Handle, checked((nuint)capacity), out var error);
        ThrowOn(error, "usearch_reserve failed");
    }

    private IntPtr Handle => (IntPtr)(HandleField.GetValue(_index) ?? throw new InvalidOperationException("USearchIndex has no native handle"));

    private static void ThrowOn(IntPtr error, string fallback)
    {
        if (error != IntPtr.Zero)
        {
            throw new USearchException(Marshal.PtrToStringAnsi(error) ?? fallback);
        }
    }

    private static readonly FieldInfo HandleField =
        typeof(USearchIndex).GetField("_index", BindingFlags.Instance | BindingFlags.NonPublic)
        ?? throw new InvalidOperationException("Cloud.Unum.USearch changed: USearchIndex._index not found (update VectorIndex.Reserve)");

    [LibraryImport("libusearch_c", EntryPoint = "usearch_reserve")]
    private static partial void NativeReserve(IntPtr index, UIntPtr capacity, out IntPtr error);

    [LibraryImport("libusearch_c", EntryPoint = "usearch_expansion_search")]
    private static partial UIntPtr NativeExpansionSearch(IntPtr index, out IntPtr error);

    [LibraryImport("libusearch_c", EntryPoint = "usearch_change_expansion_search")]
    private static partial void NativeChangeExpansionSearch(IntPtr index, UIntPtr expansion, out IntPtr error);
}
