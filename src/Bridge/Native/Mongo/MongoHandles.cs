using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Bridge.Native.Mongo;

// SafeHandles for the driver objects the binding creates: each is freed exactly once, with its C destructor.

/// <summary>A heap <c>bson_t</c> (from <c>bson_new_from_json</c>), freed with <c>bson_destroy</c>.</summary>
internal sealed class BsonHandle() : SafeHandleZeroOrMinusOneIsInvalid(ownsHandle: true)
{
    protected override bool ReleaseHandle()
    {
        MongoNative.BsonDestroy(handle);
        return true;
    }
}

internal sealed class ClientPoolHandle() : SafeHandleZeroOrMinusOneIsInvalid(ownsHandle: true)
{
    protected override bool ReleaseHandle()
    {
        MongoNative.ClientPoolDestroy(handle);
        return true;
    }
}

internal sealed class CollectionHandle() : SafeHandleZeroOrMinusOneIsInvalid(ownsHandle: true)
{
    protected override bool ReleaseHandle()
    {
        MongoNative.CollectionDestroy(handle);
        return true;
    }
}

internal sealed class CursorHandle() : SafeHandleZeroOrMinusOneIsInvalid(ownsHandle: true)
{
    protected override bool ReleaseHandle()
    {
        MongoNative.CursorDestroy(handle);
        return true;
    }
}

internal sealed class ChangeStreamHandle() : SafeHandleZeroOrMinusOneIsInvalid(ownsHandle: true)
{
    protected override bool ReleaseHandle()
    {
        MongoNative.ChangeStreamDestroy(handle);
        return true;
    }
}

/// <summary>
/// Caller-provided storage for a <c>bson_t</c> reply: libmongoc initializes it (even on failure), so it is always
/// <c>bson_destroy</c>ed, and the 128-byte, 128-aligned struct itself is ours to free.
/// </summary>
internal unsafe struct ReplyBuffer : IDisposable
{
    private void* _memory;

    public static ReplyBuffer Allocate()
    {
        var memory = NativeMemory.AlignedAlloc(128, 128);
        NativeMemory.Clear(memory, 128);
        return new ReplyBuffer { _memory = memory };
    }

    public readonly IntPtr Pointer => (IntPtr)_memory;

    public readonly string ToJson() => BsonJson.ToJson(Pointer);

    public void Dispose()
    {
        if (_memory is not null)
        {
            MongoNative.BsonDestroy((IntPtr)_memory);
            NativeMemory.AlignedFree(_memory);
            _memory = null;
        }
    }
}

/// <summary>MongoDB Extended JSON across the boundary, both ways.</summary>
public static unsafe class BsonJson
{
    /// <summary>Parses (canonical or relaxed) Extended JSON into a native document.</summary>
    /// <exception cref="MongoException">libbson refused the JSON (domain and code from <c>bson_error_t</c>).</exception>
    internal static BsonHandle FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var bytes = System.Text.Encoding.UTF8.GetBytes(json);
        BsonError error = default;
        IntPtr bson;
        fixed (byte* data = bytes)
        {
            bson = MongoNative.BsonNewFromJson(data, bytes.Length, &error);
        }

        if (bson == IntPtr.Zero)
        {
            throw MongoException.From(error);
        }

        var handle = new BsonHandle();
        Marshal.InitHandle(handle, bson);
        return handle;
    }

    /// <summary>A native document as relaxed Extended JSON (the pointer is borrowed, not freed).</summary>
    internal static string ToJson(IntPtr bson)
    {
        nuint length = 0;
        var text = MongoNative.BsonAsRelaxedExtendedJson(bson, &length);
        if (text is null)
        {
            throw new MongoException(0, 0, "libbson could not write the document as JSON (invalid UTF-8 or nesting)");
        }

        try
        {
            return System.Text.Encoding.UTF8.GetString(text, checked((int)length));
        }
        finally
        {
            MongoNative.BsonFree(text);
        }
    }

    /// <summary>Extended JSON in, relaxed Extended JSON out, through libbson: what a document looks like after a round trip.</summary>
    public static string RoundTrip(string json)
    {
        using var bson = FromJson(json);
        return ToJson(bson.DangerousGetHandle());
    }
}
