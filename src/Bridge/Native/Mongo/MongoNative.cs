using System.Runtime.InteropServices;

namespace Bridge.Native.Mongo;

/// <summary>
/// The libmongoc/libbson 1.23 entry points the bridge uses, exactly as the C API declares them (Debian's
/// <c>libmongoc-1.0-0</c> and <c>libbson-1.0-0</c>). Pointers to driver objects are plain <see cref="IntPtr"/>
/// here; ownership lives in the SafeHandles of MongoHandles.cs.
/// </summary>
internal static unsafe partial class MongoNative
{
    public const string MongocLibrary = "libmongoc-1.0.so.0";
    public const string BsonLibrary = "libbson-1.0.so.0";

    /// <summary>MONGOC_ERROR_API_VERSION_2: server errors carry domain MONGOC_ERROR_SERVER and the server's code.</summary>
    public const int ErrorApiVersion2 = 2;

    // --- libbson ---

    [LibraryImport(BsonLibrary, EntryPoint = "bson_new_from_json")]
    public static partial IntPtr BsonNewFromJson(byte* data, nint length, BsonError* error);

    [LibraryImport(BsonLibrary, EntryPoint = "bson_as_relaxed_extended_json")]
    public static partial byte* BsonAsRelaxedExtendedJson(IntPtr bson, nuint* length);

    [LibraryImport(BsonLibrary, EntryPoint = "bson_destroy")]
    public static partial void BsonDestroy(IntPtr bson);

    [LibraryImport(BsonLibrary, EntryPoint = "bson_free")]
    public static partial void BsonFree(void* memory);

    // --- libmongoc: setup ---

    [LibraryImport(MongocLibrary, EntryPoint = "mongoc_init")]
    public static partial void MongocInit();

    [LibraryImport(MongocLibrary, EntryPoint = "mongoc_uri_new_with_error", StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr UriNewWithError(string uri, BsonError* error);

    [LibraryImport(MongocLibrary, EntryPoint = "mongoc_uri_destroy")]
    public static partial void UriDestroy(IntPtr uri);

    [LibraryImport(MongocLibrary, EntryPoint = "mongoc_client_pool_new")]
    public static partial IntPtr ClientPoolNew(IntPtr uri);

    [LibraryImport(MongocLibrary, EntryPoint = "mongoc_client_pool_set_error_api")]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool ClientPoolSetErrorApi(IntPtr pool, int version);

    [LibraryImport(MongocLibrary, EntryPoint = "mongoc_client_pool_set_appname", StringMarshalling = StringMarshalling.Utf8)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool ClientPoolSetAppName(IntPtr pool, string appName);

    [LibraryImport(MongocLibrary, EntryPoint = "mongoc_client_pool_destroy")]
    public static partial void ClientPoolDestroy(IntPtr pool);

    [LibraryImport(MongocLibrary, EntryPoint = "mongoc_client_pool_pop")]
    public static partial IntPtr ClientPoolPop(IntPtr pool);

    [LibraryImport(MongocLibrary, EntryPoint = "mongoc_client_pool_push")]
    public static partial void ClientPoolPush(IntPtr pool, IntPtr client);

    // --- libmongoc: clients, collections ---

    [LibraryImport(MongocLibrary, EntryPoint = "mongoc_client_get_collection", StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr ClientGetCollection(IntPtr client, string database, string collection);

    [LibraryImport(MongocLibrary, EntryPoint = "mongoc_collection_destroy")]
    public static partial void CollectionDestroy(IntPtr collection);

    [LibraryImport(MongocLibrary, EntryPoint = "mongoc_client_command_simple", StringMarshalling = StringMarshalling.Utf8)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool ClientCommandSimple(IntPtr client, string database, IntPtr command, IntPtr readPrefs, IntPtr reply, BsonError* error);

    [LibraryImport(MongocLibrary, EntryPoint = "mongoc_collection_find_with_opts")]
    public static partial IntPtr CollectionFindWithOpts(IntPtr collection, IntPtr filter, IntPtr opts, IntPtr readPrefs);

    [LibraryImport(MongocLibrary, EntryPoint = "mongoc_collection_count_documents")]
    public static partial long CollectionCountDocuments(IntPtr collection, IntPtr filter, IntPtr opts, IntPtr readPrefs, IntPtr reply, BsonError* error);

    [LibraryImport(MongocLibrary, EntryPoint = "mongoc_collection_insert_one")]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool CollectionInsertOne(IntPtr collection, IntPtr document, IntPtr opts, IntPtr reply, BsonError* error);

    [LibraryImport(MongocLibrary, EntryPoint = "mongoc_collection_replace_one")]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool CollectionReplaceOne(IntPtr collection, IntPtr selector, IntPtr replacement, IntPtr opts, IntPtr reply, BsonError* error);

    [LibraryImport(MongocLibrary, EntryPoint = "mongoc_collection_update_one")]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool CollectionUpdateOne(IntPtr collection, IntPtr selector, IntPtr update, IntPtr opts, IntPtr reply, BsonError* error);

    [LibraryImport(MongocLibrary, EntryPoint = "mongoc_collection_delete_one")]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool CollectionDeleteOne(IntPtr collection, IntPtr selector, IntPtr opts, IntPtr reply, BsonError* error);

    [LibraryImport(MongocLibrary, EntryPoint = "mongoc_collection_delete_many")]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool CollectionDeleteMany(IntPtr collection, IntPtr selector, IntPtr opts, IntPtr reply, BsonError* error);

    // --- cursors and change streams ---

    [LibraryImport(MongocLibrary, EntryPoint = "mongoc_cursor_next")]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool CursorNext(IntPtr cursor, IntPtr* document);

    [LibraryImport(MongocLibrary, EntryPoint = "mongoc_cursor_error")]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool CursorError(IntPtr cursor, BsonError* error);

    [LibraryImport(MongocLibrary, EntryPoint = "mongoc_cursor_destroy")]
    public static partial void CursorDestroy(IntPtr cursor);

    [LibraryImport(MongocLibrary, EntryPoint = "mongoc_collection_watch")]
    public static partial IntPtr CollectionWatch(IntPtr collection, IntPtr pipeline, IntPtr opts);

    [LibraryImport(MongocLibrary, EntryPoint = "mongoc_change_stream_next")]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool ChangeStreamNext(IntPtr stream, IntPtr* document);

    [LibraryImport(MongocLibrary, EntryPoint = "mongoc_change_stream_error_document")]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool ChangeStreamErrorDocument(IntPtr stream, BsonError* error, IntPtr* reply);

    [LibraryImport(MongocLibrary, EntryPoint = "mongoc_change_stream_destroy")]
    public static partial void ChangeStreamDestroy(IntPtr stream);
}

/// <summary>libbson's <c>bson_error_t</c>: domain, code and a NUL-terminated message of at most 504 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct BsonError
{
    public uint Domain;
    public uint Code;
    public fixed byte Message[504];

    public readonly string MessageText
    {
        get
        {
            fixed (byte* text = Message)
            {
                return Marshal.PtrToStringUTF8((IntPtr)text) ?? "";
            }
        }
    }
}
