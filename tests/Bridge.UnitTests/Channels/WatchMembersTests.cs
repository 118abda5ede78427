using Bridge.Channels;

namespace Bridge.UnitTests.Channels;

public sealed class WatchMembersTests
{
    private sealed class Member(int id)
    {
        public int Id { get; } = id;
    }

    private static List<int> Live(WatchMembers<Member> members)
    {
        var ids = new List<int>();
        foreach (var member in members.Current)
        {
            if (member is not null)
            {
                ids.Add(member.Id);
            }
        }

        return ids;
    }

    [Fact]
    public void AddAndRemove_KeepEveryLiveMemberOnce_InJoinOrder()
    {
        var members = new WatchMembers<Member>();
        var all = Enumerable.Range(0, 100).Select(i => new Member(i)).ToList();
        foreach (var member in all)
        {
            Assert.True(members.Add(member));
        }

        Assert.False(members.Add(all[3]));
        foreach (var member in all.Where(m => m.Id % 3 == 0))
        {
            Assert.True(members.Remove(member));
        }

        Assert.False(members.Remove(all[3]));
        Assert.Equal(all.Where(m => m.Id % 3 != 0).Select(m => m.Id), Live(members));
        Assert.Equal(66, members.Count);
        Assert.True(members.Contains(all[1]));
        Assert.False(members.Contains(all[0]));
    }

    [Fact]
    public void Remove_ManyMembers_CompactsAndStillFindsTheRest()
    {
        var members = new WatchMembers<Member>();
        var all = Enumerable.Range(0, 1000).Select(i => new Member(i)).ToList();
        all.ForEach(m => members.Add(m));

        // Past half removed the array is rebuilt: what remains must still be removable and found by slot.
        foreach (var member in all.Take(900))
        {
            members.Remove(member);
        }

        Assert.Equal(Enumerable.Range(900, 100), Live(members));
        Assert.True(members.Current.Length < 1000, $"the emptied slots were not compacted ({members.Current.Length} slots)");
        foreach (var member in all.Skip(900))
        {
            Assert.True(members.Remove(member));
        }

        Assert.Equal(0, members.Count);
        Assert.True(members.Current.IsEmpty);
        Assert.True(members.Add(all[0]));
        Assert.Equal([0], Live(members));
    }

    [Fact]
    public void SnapshotTakenBeforeChanges_NeverShowsAMemberTwiceOrOneThatJoinedLater()
    {
        var members = new WatchMembers<Member>();
        var all = Enumerable.Range(0, 64).Select(i => new Member(i)).ToList();
        all.Take(32).ToList().ForEach(m => members.Add(m));
        var before = members.Current;

        // Joins after the snapshot (some into the same array's spare room) and leaves that compact.
        all.Skip(32).ToList().ForEach(m => members.Add(m));
        all.Take(30).ToList().ForEach(m => members.Remove(m));

        var seen = new List<int>();
        foreach (var member in before)
        {
            if (member is not null)
            {
                seen.Add(member.Id);
            }
        }

        Assert.Equal(seen.Distinct().Count(), seen.Count);
        Assert.All(seen, id => Assert.True(id < 32, $"member {id} joined after the snapshot"));
    }

    [Fact]
    public void Add_NineteenThousandMembers_DoesNotCopyTheListPerJoin()
    {
        // Issue 17 §3: 19 000 connections on one watch. An immutable array copied per join allocates
        // 8 B × N² / 2 (about 1.4 GB here); appending into spare room allocates a few MB in all.
        var all = Enumerable.Range(0, 19_000).Select(i => new Member(i)).ToList();
        var members = new WatchMembers<Member>();
        var before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var member in all)
        {
            members.Add(member);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 16 * 1024 * 1024, $"joining 19 000 members allocated {allocated:N0} bytes");
        Assert.Equal(19_000, members.Count);
    }
}
