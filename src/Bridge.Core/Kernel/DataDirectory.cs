using Microsoft.Extensions.Options;

namespace Bridge.Kernel;

/// <summary>The data directory, resolved against the content root and created on first use.</summary>
public sealed class DataDirectory(IOptions<BridgeOptions> options, IHostEnvironment environment)
{
    private readonly string _path = Path.GetFullPath(options.Value.DataDirectory, environment.ContentRootPath);

    public string PathFor(string relative)
    {
        Directory.CreateDirectory(_path);
        return Path.Combine(_path, relative);
    }

    public string Root
    {
        get
        {
            Directory.CreateDirectory(_path);
            return _path;
        }
    }
}
