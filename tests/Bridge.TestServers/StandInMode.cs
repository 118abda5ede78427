namespace Bridge.TestServers;

/// <summary>How the MongoDB stand-in answers (tests/mongo-standin/server.js).</summary>
public enum StandInMode
{
    /// <summary>The primary of a one-member replica set: change streams are served; data lives in memory only.</summary>
    ReplicaSet,

    /// <summary>As <see cref="ReplicaSet"/>, with a journal replayed at each start: a restart keeps data and change history.</summary>
    ReplicaSetKeepingData,

    /// <summary>As a standalone mongod: no replica set, <c>$changeStream</c> refused with code 40573.</summary>
    Standalone,
}
