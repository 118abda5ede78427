using System.Globalization;
using System.Text.Json.Nodes;

namespace Bridge.Documents;

/// <summary>
/// Deterministic MonoRail-shaped sample data for the embedded store, modelled on RackHD's Waterline
/// models (on-core <c>lib/models</c>): fixed ids, timestamps at fixed offsets from <see cref="BaseTime"/>.
/// Ids are ObjectId-shaped: <c>65e18b00</c> (the base time), a two-digit collection tag, a counter.
/// </summary>
internal static class SampleData
{
    public const string Nodes = "nodes";
    public const string Catalogs = "catalogs";
    public const string Skus = "skus";
    public const string GraphObjects = "graphobjects";
    public const string GraphDefinitions = "graphdefinitions";
    public const string TaskDefinitions = "taskdefinitions";
    public const string WorkItems = "workitems";
    public const string Lookups = "lookups";
    public const string Profiles = "profiles";
    public const string Templates = "templates";
    public const string Files = "files";
    public const string Logs = "logs";

    private const int ComputeCount = 8;

    private static readonly string[] CatalogSources = ["dmi", "bmc", "ohai", "lsscsi", "ipmi-fru"];

    private static readonly Hardware[] Models =
    [
        new("Quanta", "D51B-2U (dual 1G LoM)", "S2B_3A14", "Intel(R) Xeon(R) CPU E5-2650 v3 @ 2.30GHz", 10, 128, "INTEL SSDSC2BB48", "480GB"),
        new("Dell Inc.", "PowerEdge R630", "2.4.3", "Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz", 14, 256, "ST1200MM0088", "1.2TB"),
        new("Intel Corporation", "S2600KP", "SE5C610.86B.01.01.0016", "Intel(R) Xeon(R) CPU E5-2630 v3 @ 2.40GHz", 8, 64, "INTEL SSDSC2BX40", "400GB"),
    ];

    /// <summary>The fixed date every sample timestamp is relative to: 2024-03-01T08:00:00Z.</summary>
    public static DateTimeOffset BaseTime { get; } = new(2024, 3, 1, 8, 0, 0, TimeSpan.Zero);

    /// <summary>The collections <see cref="Create"/> fills (and the embedded store re-creates at every start).</summary>
    public static IReadOnlyList<string> CollectionNames { get; } =
        [Nodes, Catalogs, Skus, GraphObjects, GraphDefinitions, TaskDefinitions, WorkItems, Lookups, Profiles, Templates, Files, Logs];

    /// <summary>Compute nodes (type <c>compute</c>), in order: <c>compute-01</c> .. <c>compute-08</c>.</summary>
    public static IReadOnlyList<string> ComputeNodeIds { get; } = [.. Enumerable.Range(1, ComputeCount).Select(n => Id(0x01, n))];

    /// <summary>Two switches (<c>switch-01</c>, <c>switch-02</c>).</summary>
    public static IReadOnlyList<string> SwitchNodeIds { get; } = [Id(0x01, 9), Id(0x01, 10)];

    public static string PduNodeId { get; } = Id(0x01, 11);

    public static string EnclosureNodeId { get; } = Id(0x01, 12);

    /// <summary>Every node: the compute nodes, then the switches, the PDU and the enclosure.</summary>
    public static IReadOnlyList<string> NodeIds { get; } = [.. ComputeNodeIds, .. SwitchNodeIds, PduNodeId, EnclosureNodeId];

    /// <summary>Quanta D51, Dell R630, Intel S2600KP, Arista 7050 (in that order).</summary>
    public static IReadOnlyList<string> SkuIds { get; } = [.. Enumerable.Range(1, 4).Select(n => Id(0x03, n))];

    /// <summary>The <c>instanceId</c>s of the sample graph objects (the id field of the <c>graphObjs</c> resource).</summary>
    public static IReadOnlyList<string> GraphInstanceIds { get; } = [.. Enumerable.Range(1, 5).Select(n => Uuid(0x4000, n))];

    /// <summary>The graph object that is still <c>running</c> (Graph.InstallCentOS on compute-03).</summary>
    public static string RunningGraphInstanceId => GraphInstanceIds[2];

    /// <summary>An ObjectId-shaped sample id: base-time prefix, collection tag, counter.</summary>
    public static string Id(int tag, int number) =>
        string.Create(CultureInfo.InvariantCulture, $"65e18b00{tag:x2}{number:x14}");

    /// <summary>An ISO-8601 UTC timestamp (as RackHD serializes dates) at <paramref name="offset"/> after <see cref="BaseTime"/>.</summary>
    public static string Timestamp(TimeSpan offset) => Iso(BaseTime + offset);

    /// <summary>How RackHD writes a date in JSON: <c>2024-03-01T08:00:00.000Z</c>.</summary>
    public static string Iso(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>The first host MAC of compute node <paramref name="index"/> (1-based).</summary>
    public static string HostMac(int index) => Mac(index, 0x01);

    /// <summary>A fresh copy of every sample collection; callers may keep and change it.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<JsonObject>> Create() => new Dictionary<string, IReadOnlyList<JsonObject>>
    {
        [Nodes] = CreateNodes(),
        [Catalogs] = CreateCatalogs(),
        [Skus] = CreateSkus(),
        [GraphObjects] = CreateGraphObjects(),
        [GraphDefinitions] = CreateGraphDefinitions(),
        [TaskDefinitions] = CreateTaskDefinitions(),
        [WorkItems] = CreateWorkItems(),
        [Lookups] = CreateLookups(),
        [Profiles] = CreateProfiles(),
        [Templates] = CreateTemplates(),
        [Files] = CreateFiles(),
        [Logs] = CreateLogs(),
    };

    /// <summary>A catalog document of <paramref name="source"/> for compute node <paramref name="index"/> (1-based), as discovery writes it.</summary>
    public static JsonObject CatalogFor(int index, string source, string id, string createdAt)
    {
        var model = ModelOf(index);
        JsonNode data = source switch
        {
            "dmi" => new JsonObject
            {
                ["BIOS Information"] = new JsonObject { ["Vendor"] = model.Manufacturer == "Dell Inc." ? "Dell Inc." : "American Megatrends Inc.", ["Version"] = model.BiosVersion, ["Release Date"] = "09/29/2023" },
                ["System Information"] = new JsonObject { ["Manufacturer"] = model.Manufacturer, ["Product Name"] = model.Product, ["Serial Number"] = Serial(index), ["UUID"] = Uuid(0x5000, index).ToUpperInvariant() },
                ["Processor Information"] = new JsonArray(
                    new JsonObject { ["Socket Designation"] = "CPU1", ["Version"] = model.Cpu, ["Core Count"] = model.Cores.ToString(CultureInfo.InvariantCulture) },
                    new JsonObject { ["Socket Designation"] = "CPU2", ["Version"] = model.Cpu, ["Core Count"] = model.Cores.ToString(CultureInfo.InvariantCulture) }),
                ["Memory Device"] = new JsonObject { ["Total Memory"] = $"{model.MemoryGb} GB", ["Type"] = "DDR4", ["Speed"] = "2133 MHz" },
            },
            "bmc" => new JsonObject
            {
                ["Set in Progress"] = "Set Complete",
                ["IP Address Source"] = "DHCP Address",
                ["IP Address"] = BmcIp(index),
                ["Subnet Mask"] = "255.255.255.0",
                ["MAC Address"] = Mac(index, 0x7f),
                ["Default Gateway IP"] = "172.31.129.1",
                ["802.1q VLAN ID"] = "Disabled",
            },
            "ohai" => new JsonObject
            {
                ["hostname"] = $"compute-{index:d2}",
                ["platform"] = "ubuntu",
                ["platform_version"] = "22.04",
                ["kernel"] = new JsonObject { ["name"] = "Linux", ["release"] = "5.15.0-97-generic", ["machine"] = "x86_64" },
                ["cpu"] = new JsonObject { ["real"] = 2, ["cores"] = model.Cores * 2, ["total"] = model.Cores * 4, ["model_name"] = model.Cpu },
                ["memory"] = new JsonObject { ["total"] = $"{model.MemoryGb * 1024 * 1024}kB" },
                ["network"] = new JsonObject
                {
                    ["interfaces"] = new JsonObject
                    {
                        ["eno1"] = new JsonObject { ["state"] = "up", ["mtu"] = 1500, ["addresses"] = new JsonObject { [HostMac(index).ToUpperInvariant()] = new JsonObject { ["family"] = "lladdr" }, [HostIp(index)] = new JsonObject { ["family"] = "inet", ["prefixlen"] = "24" } } },
                        ["eno2"] = new JsonObject { ["state"] = "down", ["mtu"] = 1500, ["addresses"] = new JsonObject { [Mac(index, 0x02).ToUpperInvariant()] = new JsonObject { ["family"] = "lladdr" } } },
                    },
                },
            },
            "lsscsi" => new JsonArray(
                Disk(0, model, "/dev/sda"),
                Disk(1, model, "/dev/sdb")),
            "ipmi-fru" => new JsonObject
            {
                ["Builtin FRU Device (ID 0)"] = new JsonObject
                {
                    ["Chassis Type"] = "Rack Mount Chassis",
                    ["Board Mfg"] = model.Manufacturer,
                    ["Board Serial"] = Serial(index),
                    ["Product Name"] = model.Product,
                },
            },
            _ => new JsonObject { ["note"] = $"sample catalog of source {source}" },
        };

        return new JsonObject
        {
            ["id"] = id,
            ["node"] = ComputeNodeIds[index - 1],
            ["source"] = source,
            ["data"] = data,
            ["createdAt"] = createdAt,
            ["updatedAt"] = createdAt,
        };
    }

    private static List<JsonObject> CreateNodes()
    {
        var nodes = new List<JsonObject>();
        for (var i = 1; i <= ComputeCount; i++)
        {
            var created = Timestamp(TimeSpan.FromMinutes(i * 3));
            var node = new JsonObject
            {
                ["id"] = ComputeNodeIds[i - 1],
                ["name"] = $"compute-{i:d2}",
                ["type"] = "compute",
                ["autoDiscover"] = false,
                ["identifiers"] = new JsonArray(HostMac(i), Mac(i, 0x02), Serial(i)),
                ["obms"] = new JsonArray(new JsonObject
                {
                    ["service"] = "ipmi-obm-service",
                    ["config"] = new JsonObject { ["host"] = BmcIp(i), ["user"] = "admin" },
                }),
                ["relations"] = new JsonArray(new JsonObject
                {
                    ["relationType"] = "enclosedBy",
                    ["targets"] = new JsonArray(EnclosureNodeId),
                }),
                ["tags"] = i <= 4 ? new JsonArray("rack-1", "gold") : new JsonArray("rack-2"),
                ["sku"] = SkuIds[SkuIndexOf(i)],
                ["createdAt"] = created,
                ["updatedAt"] = Timestamp(TimeSpan.FromMinutes(i * 3 + 25)),
            };
            if (i == 3)
            {
                node["bootSettings"] = new JsonObject
                {
                    ["profile"] = "install-centos.ipxe",
                    ["options"] = new JsonObject { ["version"] = "7", ["rootPassword"] = "***", ["hostname"] = "compute-03" },
                };
            }

            nodes.Add(node);
        }

        for (var s = 0; s < SwitchNodeIds.Count; s++)
        {
            nodes.Add(new JsonObject
            {
                ["id"] = SwitchNodeIds[s],
                ["name"] = $"switch-{s + 1:d2}",
                ["type"] = "switch",
                ["autoDiscover"] = true,
                ["identifiers"] = new JsonArray($"172.31.130.{2 + s}", $"00:1c:73:c2:{s + 1:x2}:00"),
                ["obms"] = new JsonArray(new JsonObject
                {
                    ["service"] = "snmp-obm-service",
                    ["config"] = new JsonObject { ["host"] = $"172.31.130.{2 + s}", ["community"] = "public" },
                }),
                ["snmpSettings"] = new JsonObject { ["host"] = $"172.31.130.{2 + s}", ["community"] = "public" },
                ["relations"] = new JsonArray(),
                ["tags"] = new JsonArray("network", s == 0 ? "rack-1" : "rack-2"),
                ["sku"] = SkuIds[3],
                ["createdAt"] = Timestamp(TimeSpan.FromMinutes(1 + s)),
                ["updatedAt"] = Timestamp(TimeSpan.FromHours(2 + s)),
            });
        }

        nodes.Add(new JsonObject
        {
            ["id"] = PduNodeId,
            ["name"] = "pdu-01",
            ["type"] = "pdu",
            ["autoDiscover"] = true,
            ["identifiers"] = new JsonArray("172.31.130.20"),
            ["obms"] = new JsonArray(new JsonObject
            {
                ["service"] = "snmp-obm-service",
                ["config"] = new JsonObject { ["host"] = "172.31.130.20", ["community"] = "public" },
            }),
            ["snmpSettings"] = new JsonObject { ["host"] = "172.31.130.20", ["community"] = "public" },
            ["relations"] = new JsonArray(),
            ["tags"] = new JsonArray("power", "rack-1"),
            ["sku"] = null,
            ["createdAt"] = Timestamp(TimeSpan.FromMinutes(2)),
            ["updatedAt"] = Timestamp(TimeSpan.FromMinutes(2)),
        });

        nodes.Add(new JsonObject
        {
            ["id"] = EnclosureNodeId,
            ["name"] = "enclosure-rack-1",
            ["type"] = "enclosure",
            ["autoDiscover"] = false,
            ["identifiers"] = new JsonArray("ENC-R1-0001"),
            ["obms"] = new JsonArray(),
            ["relations"] = new JsonArray(new JsonObject
            {
                ["relationType"] = "encloses",
                ["targets"] = new JsonArray([.. ComputeNodeIds.Select(id => (JsonNode)id)]),
            }),
            ["tags"] = new JsonArray("rack-1"),
            ["sku"] = null,
            ["createdAt"] = Timestamp(TimeSpan.FromMinutes(40)),
            ["updatedAt"] = Timestamp(TimeSpan.FromMinutes(40)),
        });
        return nodes;
    }

    private static List<JsonObject> CreateCatalogs()
    {
        var catalogs = new List<JsonObject>();
        var number = 1;
        for (var i = 1; i <= ComputeCount; i++)
        {
            // Older machines were catalogued before ipmi-fru was part of discovery.
            var sources = i <= 6 ? CatalogSources : CatalogSources[..4];
            for (var s = 0; s < sources.Length; s++)
            {
                var created = Timestamp(TimeSpan.FromMinutes(i * 3 + 5) + TimeSpan.FromSeconds(s * 7));
                catalogs.Add(CatalogFor(i, sources[s], Id(0x02, number++), created));
            }
        }

        for (var s = 0; s < SwitchNodeIds.Count; s++)
        {
            var created = Timestamp(TimeSpan.FromMinutes(10 + s));
            catalogs.Add(new JsonObject
            {
                ["id"] = Id(0x02, number++),
                ["node"] = SwitchNodeIds[s],
                ["source"] = "snmp-1",
                ["data"] = new JsonObject
                {
                    ["SNMPv2-MIB::sysDescr_0"] = "Arista Networks EOS version 4.28.3M running on an Arista Networks DCS-7050TX-64",
                    ["SNMPv2-MIB::sysName_0"] = $"switch-{s + 1:d2}",
                    ["SNMPv2-MIB::sysUpTime_0"] = "123456789",
                    ["IF-MIB::ifNumber_0"] = "52",
                },
                ["createdAt"] = created,
                ["updatedAt"] = created,
            });
        }

        return catalogs;
    }

    private static List<JsonObject> CreateSkus() =>
    [
        Sku(1, "Quanta D51 2U", [Rule("dmi.System Information.Product Name", "contains", "D51B-2U"), Rule("dmi.Memory Device.Total Memory", "equals", "128 GB")], "Graph.Discovery"),
        Sku(2, "Dell PowerEdge R630", [Rule("dmi.System Information.Product Name", "equals", "PowerEdge R630")], "Graph.Discovery"),
        Sku(3, "Intel S2600KP", [Rule("dmi.System Information.Product Name", "equals", "S2600KP"), Rule("ohai.cpu.real", "equals", "2")], null),
        Sku(4, "Arista 7050", [Rule("snmp-1.SNMPv2-MIB::sysDescr_0", "contains", "DCS-7050")], null),
    ];

    private static List<JsonObject> CreateGraphObjects()
    {
        (int Node, string Name, string Injectable, string Status, int StartMinute, string[] Tasks)[] runs =
        [
            (1, "Discovery", "Graph.Discovery", "succeeded", 6, ["bootstrap-ubuntu", "catalog-dmi", "catalog-bmc", "catalog-ohai", "catalog-lsscsi"]),
            (2, "Discovery", "Graph.Discovery", "succeeded", 9, ["bootstrap-ubuntu", "catalog-dmi", "catalog-bmc", "catalog-ohai", "catalog-lsscsi"]),
            (3, "Install CentOS", "Graph.InstallCentOS", "running", 120, ["set-boot-pxe", "reboot", "install-os", "first-boot"]),
            (5, "Reboot Node", "Graph.Reboot.Node", "failed", 90, ["reboot"]),
            (6, "Power On Node", "Graph.PowerOn.Node", "succeeded", 95, ["power-on"]),
        ];
        var graphs = new List<JsonObject>();
        for (var g = 0; g < runs.Length; g++)
        {
            var run = runs[g];
            var instanceId = GraphInstanceIds[g];
            var started = TimeSpan.FromMinutes(run.StartMinute);
            var tasks = new JsonObject();
            for (var t = 0; t < run.Tasks.Length; t++)
            {
                var state = run.Status switch
                {
                    "running" => t < 2 ? "succeeded" : t == 2 ? "pending" : "waiting",
                    "failed" when t == run.Tasks.Length - 1 => "failed",
                    _ => "succeeded",
                };
                var task = new JsonObject
                {
                    ["instanceId"] = Uuid(0x4100 + g, t + 1),
                    ["label"] = run.Tasks[t],
                    ["friendlyName"] = FriendlyTaskName(run.Tasks[t]),
                    ["injectableName"] = InjectableTaskName(run.Tasks[t]),
                    ["state"] = state,
                    ["waitingOn"] = t == 0 ? new JsonObject() : new JsonObject { [Uuid(0x4100 + g, t)] = "finished" },
                    ["taskStartTime"] = state is "waiting" ? null : Timestamp(started + TimeSpan.FromMinutes(t * 2)),
                };
                if (state is "succeeded" or "failed")
                {
                    task["taskEndTime"] = Timestamp(started + TimeSpan.FromMinutes(t * 2 + 1));
                }

                if (state == "failed")
                {
                    task["error"] = "IPMI command failed: Unable to establish IPMI v2 / RMCP+ session";
                }

                tasks[Uuid(0x4100 + g, t + 1)] = task;
            }

            graphs.Add(new JsonObject
            {
                ["id"] = Id(0x04, g + 1),
                ["instanceId"] = instanceId,
                ["name"] = run.Name,
                ["injectableName"] = run.Injectable,
                ["_status"] = run.Status,
                ["node"] = ComputeNodeIds[run.Node - 1],
                ["context"] = new JsonObject { ["target"] = ComputeNodeIds[run.Node - 1], ["graphId"] = instanceId, ["graphName"] = run.Name },
                ["definition"] = new JsonObject { ["friendlyName"] = run.Name, ["injectableName"] = run.Injectable },
                ["tasks"] = tasks,
                ["createdAt"] = Timestamp(started),
                ["updatedAt"] = Timestamp(started + TimeSpan.FromMinutes(run.Tasks.Length * 2)),
            });
        }

        return graphs;
    }

    private static List<JsonObject> CreateGraphDefinitions()
    {
        (string Friendly, string Injectable, string[] Tasks)[] definitions =
        [
            ("Discovery", "Graph.Discovery", ["bootstrap-ubuntu", "catalog-dmi", "catalog-bmc", "catalog-ohai", "catalog-lsscsi"]),
            ("Install CentOS", "Graph.InstallCentOS", ["set-boot-pxe", "reboot", "install-os", "first-boot"]),
            ("Reboot Node", "Graph.Reboot.Node", ["reboot"]),
            ("Power On Node", "Graph.PowerOn.Node", ["power-on"]),
            ("Power Off Node", "Graph.PowerOff.Node", ["power-off"]),
        ];
        return
        [
            .. definitions.Select((d, index) => new JsonObject
            {
                ["id"] = Id(0x05, index + 1),
                ["friendlyName"] = d.Friendly,
                ["injectableName"] = d.Injectable,
                ["options"] = new JsonObject { ["defaults"] = new JsonObject { ["graphOptions"] = new JsonObject() } },
                ["tasks"] = new JsonArray([.. d.Tasks.Select((label, t) => (JsonNode)new JsonObject
                {
                    ["label"] = label,
                    ["taskName"] = InjectableTaskName(label),
                    ["waitOn"] = t == 0 ? null : new JsonObject { [d.Tasks[t - 1]] = "succeeded" },
                })]),
                ["createdAt"] = Timestamp(TimeSpan.Zero),
                ["updatedAt"] = Timestamp(TimeSpan.Zero),
            }),
        ];
    }

    private static List<JsonObject> CreateTaskDefinitions()
    {
        string[] labels = ["bootstrap-ubuntu", "catalog-dmi", "catalog-bmc", "catalog-ohai", "catalog-lsscsi", "set-boot-pxe", "reboot", "install-os", "power-on", "power-off"];
        return
        [
            .. labels.Select((label, index) =>
            {
                var implements = label switch
                {
                    "bootstrap-ubuntu" => "Task.Base.Linux.Bootstrap",
                    "install-os" => "Task.Base.Os.Install",
                    _ when label.StartsWith("catalog-", StringComparison.Ordinal) => "Task.Base.Linux.Catalog",
                    _ => "Task.Base.Obm.Node",
                };
                var options = label switch
                {
                    _ when label.StartsWith("catalog-", StringComparison.Ordinal) => new JsonObject
                    {
                        ["commands"] = new JsonArray(label switch
                        {
                            "catalog-dmi" => "sudo dmidecode",
                            "catalog-bmc" => "sudo ipmitool lan print",
                            "catalog-ohai" => "sudo ohai --directory /etc/ohai/plugins",
                            _ => "sudo lsscsi --size",
                        }),
                    },
                    "reboot" or "power-on" or "power-off" or "set-boot-pxe" => new JsonObject { ["action"] = label switch { "power-on" => "powerOn", "power-off" => "powerOff", "set-boot-pxe" => "setBootPxe", _ => "reboot" } },
                    "install-os" => new JsonObject { ["version"] = "7", ["repo"] = "{{file.server}}/centos/7/os/x86_64", ["profile"] = "install-centos.ipxe" },
                    _ => new JsonObject { ["kernelFile"] = "vmlinuz-3.13.0-32-generic", ["initrdFile"] = "initrd.img-3.13.0-32-generic" },
                };
                return new JsonObject
                {
                    ["id"] = Id(0x06, index + 1),
                    ["friendlyName"] = FriendlyTaskName(label),
                    ["injectableName"] = InjectableTaskName(label),
                    ["implementsTask"] = implements,
                    ["options"] = options,
                    ["properties"] = label.StartsWith("catalog-", StringComparison.Ordinal)
                        ? new JsonObject { ["catalog"] = new JsonObject { ["type"] = label["catalog-".Length..] } }
                        : new JsonObject(),
                    ["createdAt"] = Timestamp(TimeSpan.Zero),
                    ["updatedAt"] = Timestamp(TimeSpan.Zero),
                };
            }),
        ];
    }

    private static List<JsonObject> CreateWorkItems()
    {
        var items = new List<JsonObject>();
        var number = 1;
        for (var i = 1; i <= ComputeCount; i++)
        {
            foreach (var command in new[] { "sdr", "selInformation" })
            {
                items.Add(Poller(number++, "Pollers.IPMI", ComputeNodeIds[i - 1], new JsonObject
                {
                    ["command"] = command,
                    ["host"] = BmcIp(i),
                    ["user"] = "admin",
                }, command == "sdr" ? 30000 : 60000, paused: i == 5, failures: i == 5 ? 3 : 0));
            }
        }

        for (var s = 0; s < SwitchNodeIds.Count; s++)
        {
            items.Add(Poller(number++, "Pollers.SNMP", SwitchNodeIds[s], new JsonObject
            {
                ["ip"] = $"172.31.130.{2 + s}",
                ["metric"] = "snmp-interface-state",
            }, 60000, paused: false, failures: 0));
        }

        return items;
    }

    private static List<JsonObject> CreateLookups()
    {
        var lookups = new List<JsonObject>();
        for (var i = 1; i <= ComputeCount; i++)
        {
            lookups.Add(new JsonObject
            {
                ["id"] = Id(0x08, i),
                ["node"] = ComputeNodeIds[i - 1],
                ["macAddress"] = HostMac(i),
                ["ipAddress"] = HostIp(i),
                ["createdAt"] = Timestamp(TimeSpan.FromMinutes(i * 3)),
                ["updatedAt"] = Timestamp(TimeSpan.FromMinutes(i * 3 + 1)),
            });
        }

        for (var s = 0; s < SwitchNodeIds.Count; s++)
        {
            lookups.Add(new JsonObject
            {
                ["id"] = Id(0x08, ComputeCount + s + 1),
                ["node"] = SwitchNodeIds[s],
                ["macAddress"] = $"00:1c:73:c2:{s + 1:x2}:00",
                ["ipAddress"] = $"172.31.130.{2 + s}",
                ["createdAt"] = Timestamp(TimeSpan.FromMinutes(1 + s)),
                ["updatedAt"] = Timestamp(TimeSpan.FromMinutes(1 + s)),
            });
        }

        return lookups;
    }

    private static List<JsonObject> CreateProfiles() =>
    [
        Renderable(0x09, 1, "ipxe-info.ipxe", "echo MonoRail node {{ macaddress }} is not yet discovered\nsleep 10\nchain http://{{ server }}:{{ port }}/api/current/profiles"),
        Renderable(0x09, 2, "redirect.ipxe", "#!ipxe\nchain http://{{ server }}:{{ port }}/api/current/profiles?macs=${net0/mac}"),
        Renderable(0x09, 3, "install-centos.ipxe", "kernel {{ repo }}/images/pxeboot/vmlinuz ks={{ installScriptUri }}\ninitrd {{ repo }}/images/pxeboot/initrd.img\nboot"),
    ];

    private static List<JsonObject> CreateTemplates() =>
    [
        Renderable(0x0a, 1, "centos-ks", "install\nurl --url={{ options.repo }}\nrootpw --iscrypted {{ options.rootEncryptedPassword }}\nreboot"),
        Renderable(0x0a, 2, "bootstrap.ipxe", "kernel {{ api.server }}/common/{{ options.kernelFile }}\ninitrd {{ api.server }}/common/{{ options.initrdFile }}\nboot"),
        Renderable(0x0a, 3, "renasar-ansible.pub", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ...sample monorail@rackhd"),
    ];

    private static List<JsonObject> CreateFiles() =>
    [
        new JsonObject
        {
            ["id"] = Id(0x0b, 1),
            ["basename"] = "bios-d51b-3a14.bin",
            ["filename"] = $"{Uuid(0x0b00, 1)}_bios-d51b-3a14.bin",
            ["uuid"] = Uuid(0x0b00, 1),
            ["md5"] = "9e107d9d372bb6826bd81d3542a419d6",
            ["sha256"] = "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592",
            ["version"] = 1,
            ["createdAt"] = Timestamp(TimeSpan.FromDays(-3)),
            ["updatedAt"] = Timestamp(TimeSpan.FromDays(-3)),
        },
        new JsonObject
        {
            ["id"] = Id(0x0b, 2),
            ["basename"] = "centos-7-x86_64-minimal.iso",
            ["filename"] = $"{Uuid(0x0b00, 2)}_centos-7-x86_64-minimal.iso",
            ["uuid"] = Uuid(0x0b00, 2),
            ["md5"] = "e4d909c290d0fb1ca068ffaddf22cbd0",
            ["sha256"] = "ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c",
            ["version"] = 2,
            ["createdAt"] = Timestamp(TimeSpan.FromDays(-2)),
            ["updatedAt"] = Timestamp(TimeSpan.FromDays(-1)),
        },
    ];

    private static List<JsonObject> CreateLogs()
    {
        (int Node, string Level, string Message, string Caller, int Minute)[] entries =
        [
            (1, "info", "Discovered new node", "lib/task-graph-runner.js:212", 3),
            (1, "debug", "Catalog dmi stored", "lib/jobs/linux-catalog.js:96", 7),
            (1, "info", "Graph Discovery succeeded", "lib/task-graph.js:561", 16),
            (2, "info", "Discovered new node", "lib/task-graph-runner.js:212", 6),
            (2, "info", "Graph Discovery succeeded", "lib/task-graph.js:561", 19),
            (3, "info", "Starting graph Install CentOS", "lib/task-graph.js:402", 120),
            (3, "debug", "Rendered profile install-centos.ipxe", "lib/api/profiles.js:88", 123),
            (5, "warning", "IPMI poller failed 3 times in a row, pausing", "lib/jobs/ipmi-job.js:233", 85),
            (5, "error", "Task reboot failed: Unable to establish IPMI v2 / RMCP+ session", "lib/jobs/obm-control.js:141", 92),
            (6, "info", "Graph Power On Node succeeded", "lib/task-graph.js:561", 97),
        ];
        return
        [
            .. entries.Select((e, index) => new JsonObject
            {
                ["id"] = Id(0x0c, index + 1),
                ["node"] = ComputeNodeIds[e.Node - 1],
                ["level"] = e.Level,
                ["message"] = e.Message,
                ["trace"] = Uuid(0x0c00, index + 1),
                ["timestamp"] = Timestamp(TimeSpan.FromMinutes(e.Minute)),
                ["caller"] = e.Caller,
                ["subject"] = "Server",
                ["module"] = "on-taskgraph",
                ["context"] = new JsonObject { ["id"] = ComputeNodeIds[e.Node - 1] },
                ["createdAt"] = Timestamp(TimeSpan.FromMinutes(e.Minute)),
                ["updatedAt"] = Timestamp(TimeSpan.FromMinutes(e.Minute)),
            }),
        ];
    }

    private static JsonObject Sku(int number, string name, JsonArray rules, string? discoveryGraph) => new()
    {
        ["id"] = SkuIds[number - 1],
        ["name"] = name,
        ["rules"] = rules,
        ["discoveryGraphName"] = discoveryGraph,
        ["discoveryGraphOptions"] = new JsonObject(),
        ["version"] = "1.0.0",
        ["description"] = $"{name} servers of the sample lab",
        ["createdAt"] = Timestamp(TimeSpan.FromDays(-7)),
        ["updatedAt"] = Timestamp(TimeSpan.FromDays(-7)),
    };

    private static JsonObject Rule(string path, string kind, string value) => new() { ["path"] = path, [kind] = value };

    private static JsonObject Poller(int number, string name, string node, JsonObject config, int interval, bool paused, int failures) => new()
    {
        ["id"] = Id(0x07, number),
        ["name"] = name,
        ["node"] = node,
        ["config"] = config,
        ["pollInterval"] = interval,
        ["nextScheduled"] = Timestamp(TimeSpan.FromHours(3) + TimeSpan.FromMilliseconds(interval)),
        ["lastStarted"] = Timestamp(TimeSpan.FromHours(3)),
        ["lastFinished"] = Timestamp(TimeSpan.FromHours(3) + TimeSpan.FromSeconds(2)),
        ["leaseToken"] = null,
        ["leaseExpires"] = null,
        ["failureCount"] = failures,
        ["paused"] = paused,
        ["createdAt"] = Timestamp(TimeSpan.FromMinutes(30)),
        ["updatedAt"] = Timestamp(TimeSpan.FromHours(3) + TimeSpan.FromSeconds(2)),
    };

    private static JsonObject Renderable(int tag, int number, string name, string contents) => new()
    {
        ["id"] = Id(tag, number),
        ["name"] = name,
        ["scope"] = "global",
        ["contents"] = contents,
        ["hash"] = Convert.ToBase64String(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes(contents))),
        ["createdAt"] = Timestamp(TimeSpan.FromDays(-7)),
        ["updatedAt"] = Timestamp(TimeSpan.FromDays(-7)),
    };

    private static JsonObject Disk(int target, Hardware model, string path) => new()
    {
        ["hostId"] = "0",
        ["channelId"] = "0",
        ["targetId"] = target.ToString(CultureInfo.InvariantCulture),
        ["lun"] = "0",
        ["peripheralType"] = "disk",
        ["vendorName"] = "ATA",
        ["modelName"] = model.DiskModel,
        ["revisionString"] = "0370",
        ["devicePath"] = path,
        ["size"] = model.DiskSize,
    };

    private static string FriendlyTaskName(string label) => label switch
    {
        "bootstrap-ubuntu" => "Bootstrap Ubuntu",
        "set-boot-pxe" => "Set PXE Boot",
        "install-os" => "Install CentOS",
        "first-boot" => "First Boot",
        _ when label.StartsWith("catalog-", StringComparison.Ordinal) => $"Catalog {label["catalog-".Length..]}",
        _ => string.Join(' ', label.Split('-').Select(static w => char.ToUpperInvariant(w[0]) + w[1..])) + " Node",
    };

    private static string InjectableTaskName(string label) => label switch
    {
        "bootstrap-ubuntu" => "Task.Linux.Bootstrap.Ubuntu",
        "set-boot-pxe" => "Task.Obm.Node.PxeBoot",
        "reboot" => "Task.Obm.Node.Reboot",
        "power-on" => "Task.Obm.Node.PowerOn",
        "power-off" => "Task.Obm.Node.PowerOff",
        "install-os" => "Task.Os.Install.CentOS",
        "first-boot" => "Task.Wait.Completion.Uri",
        _ => $"Task.Catalog.{label["catalog-".Length..]}",
    };

    private static int SkuIndexOf(int computeIndex) => computeIndex <= 4 ? 0 : computeIndex <= 6 ? 1 : 2;

    private static Hardware ModelOf(int computeIndex) => Models[SkuIndexOf(computeIndex)];

    private static string Mac(int index, int last) => string.Create(CultureInfo.InvariantCulture, $"00:1e:67:a0:{index:x2}:{last:x2}");

    private static string HostIp(int index) => string.Create(CultureInfo.InvariantCulture, $"172.31.128.{10 + index}");

    private static string BmcIp(int index) => string.Create(CultureInfo.InvariantCulture, $"172.31.129.{10 + index}");

    private static string Serial(int index) => string.Create(CultureInfo.InvariantCulture, $"QTFCJ0516{index:d4}");

    private static string Uuid(int group, int number) =>
        string.Create(CultureInfo.InvariantCulture, $"{group:x8}-0000-4000-8000-{number:x12}");

    private sealed record Hardware(string Manufacturer, string Product, string BiosVersion, string Cpu, int Cores, int MemoryGb, string DiskModel, string DiskSize);
}
