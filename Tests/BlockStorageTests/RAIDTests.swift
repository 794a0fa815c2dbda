import Testing
@testable import BlockStorage

private func volume(_ level: RAIDLayout.Level, members n: Int, stripe: UInt64 = 16, start: UInt64 = 8,
                    memberBlocks: UInt64 = 1024) throws -> RAIDVolume {
    let probe = try RAIDLayout(level: level, memberCount: n, stripeBlocks: stripe, startBlock: start, blockCount: 0, memberBlocks: memberBlocks)
    let rows = (memberBlocks - start) / stripe
    let capacity = level == .raid1 ? memberBlocks - start : rows * stripe * UInt64(probe.dataUnitsPerRow)
    let layout = try RAIDLayout(level: level, memberCount: n, stripeBlocks: stripe, startBlock: start, blockCount: capacity, memberBlocks: memberBlocks)
    return RAIDVolume(layout: layout, members: (0..<n).map { _ in Disk(medium: MemoryMedium(blockCount: memberBlocks)) })
}

@Suite struct RAIDLayoutTests {
    @Test func raid5RotatesParityLeftSymmetric() throws {
        let l = try RAIDLayout(level: .raid5, memberCount: 3, stripeBlocks: 4, blockCount: 24, memberBlocks: 100)
        // Row 0: parity on member 2, data units 0 and 1 on members 0 and 1.
        // Row 1: parity on member 1, data units 2 and 3 on members 2 and 0.
        // Row 2: parity on member 0, data units 4 and 5 on members 1 and 2.
        let places = stride(from: UInt64(0), to: 24, by: 4).map { l.place($0, upTo: 4) }
        #expect(places.map(\.parity) == [2, 2, 1, 1, 0, 0])
        #expect(places.map { $0.members[0] } == [0, 1, 2, 0, 1, 2])
        #expect(places.map(\.memberLBA) == [0, 0, 4, 4, 8, 8])
        #expect(l.place(5, upTo: 100).blocks == 3, "a run stops at the end of its stripe unit")
    }

    @Test func raid0And10StripeAcrossMembersAndPairs() throws {
        let r0 = try RAIDLayout(level: .raid0, memberCount: 3, stripeBlocks: 8, startBlock: 2, blockCount: 48, memberBlocks: 100)
        #expect(r0.place(17, upTo: 1) == .init(row: 0, members: [2], parity: nil, memberLBA: 3, blocks: 1))
        #expect(r0.place(24, upTo: 1).memberLBA == 10)
        let r10 = try RAIDLayout(level: .raid10, memberCount: 4, stripeBlocks: 8, blockCount: 64, memberBlocks: 100)
        #expect(r10.place(8, upTo: 8).members == [2, 3])
        #expect(r10.place(16, upTo: 8) == .init(row: 1, members: [0, 1], parity: nil, memberLBA: 8, blocks: 8))
    }

    @Test func impossibleLayoutsSayWhy() {
        #expect(throws: RAIDLayoutError.members(.raid5, 2)) {
            try RAIDLayout(level: .raid5, memberCount: 2, stripeBlocks: 8, blockCount: 8, memberBlocks: 100)
        }
        #expect(throws: RAIDLayoutError.members(.raid10, 5)) {
            try RAIDLayout(level: .raid10, memberCount: 5, stripeBlocks: 8, blockCount: 8, memberBlocks: 100)
        }
        #expect(throws: RAIDLayoutError.capacity(300, max: 192)) {
            try RAIDLayout(level: .raid5, memberCount: 3, stripeBlocks: 8, blockCount: 300, memberBlocks: 100)
        }
        #expect(throws: RAIDLayoutError.stripe) {
            try RAIDLayout(level: .raid0, memberCount: 2, stripeBlocks: 0, blockCount: 8, memberBlocks: 100)
        }
    }
}

@Suite struct RAIDVolumeTests {
    static let levels: [(RAIDLayout.Level, Int)] = [(.raid0, 3), (.raid1, 2), (.raid5, 3), (.raid5, 4), (.raid10, 4)]

    @Test(arguments: levels)
    func dataReadsBackAcrossStripeAndMemberBoundaries(_ level: RAIDLayout.Level, _ n: Int) throws {
        let v = try volume(level, members: n)
        let data = pattern(5, blocks: 70)
        try v.write(5, data)
        #expect(try v.read(5, blocks: 70) == data)
        #expect(try v.read(0, blocks: 5).allSatisfy { $0 == 0 })
        if level == .raid5 || level == .raid1 || level == .raid10 {
            #expect(try v.verify(v.layout.memberRange, fix: false) == 0, "redundancy consistent after writes")
        }
    }

    @Test(arguments: levels.filter { $0.0 != .raid0 })
    func aFailedMemberLeavesTheDataReadable(_ level: RAIDLayout.Level, _ n: Int) throws {
        let v = try volume(level, members: n)
        let data = pattern(0, blocks: 100)
        try v.write(0, data)
        v.members[1].isFailed = true
        #expect(v.health == .degraded)
        #expect(try v.read(0, blocks: 100) == data)
        // Written while degraded, still read correctly.
        let more = pattern(40, blocks: 30, seed: 7)
        try v.write(40, more)
        #expect(try v.read(40, blocks: 30) == more)
    }

    @Test func raid0WithAFailedMemberIsDead() throws {
        let v = try volume(.raid0, members: 2)
        try v.write(0, pattern(0, blocks: 64))
        v.members[0].isFailed = true
        #expect(v.health == .dead)
        #expect(throws: BlockError.notReady) { _ = try v.read(0, blocks: 64) }
    }

    @Test func raid5WithTwoMembersGoneLosesData() throws {
        let v = try volume(.raid5, members: 3)
        v.members[0].isFailed = true
        v.members[2].isFailed = true
        #expect(v.health == .dead)
        #expect(throws: BlockError.notReady) { _ = try v.read(0, blocks: 32) }
    }

    @Test(arguments: levels.filter { $0.0 != .raid0 })
    func rebuildReconstructsTheReplacementSparsely(_ level: RAIDLayout.Level, _ n: Int) throws {
        let v = try volume(level, members: n, memberBlocks: 100_000)
        let a = pattern(0, blocks: 40), b = pattern(50_000, blocks: 20, seed: 3)
        try v.write(0, a); try v.write(50_000, b)
        v.members[1].isFailed = true
        try v.write(10, pattern(10, blocks: 5, seed: 5))              // written while degraded
        let spare = Disk(medium: MemoryMedium(blockCount: 100_000))
        v.replace(member: 1, with: spare)
        #expect(v.health == .degraded && v.rebuildPosition(member: 1) == v.layout.startBlock)
        let plan = v.writtenRegions()
        let planned = plan.reduce(UInt64(0)) { $0 + UInt64($1.count) }
        #expect(planned < 2_000, "only written regions are rebuilt (\(planned) of \(v.layout.memberRange.count) blocks)")
        for (i, r) in plan.enumerated() {
            try v.rebuild(member: 1, r, validUpTo: i + 1 < plan.count ? plan[i + 1].lowerBound : v.layout.memberRange.upperBound)
        }
        #expect(v.health == .optimal && v.rebuildPosition(member: 1) == nil)
        #expect(try v.verify(v.layout.memberRange, fix: false) == 0)
        // The rebuilt member now carries the data: fail another one and read everything back.
        v.members[0].isFailed = true
        var expected = a
        expected.replaceSubrange(10 * 512..<15 * 512, with: pattern(10, blocks: 5, seed: 5))
        #expect(try v.read(0, blocks: 40) == expected)
        #expect(try v.read(50_000, blocks: 20) == b)
    }

    @Test func readsDuringARebuildUseTheOthersBeyondThePosition() throws {
        let v = try volume(.raid1, members: 2)
        try v.write(0, pattern(0, blocks: 64))
        v.replace(member: 0, with: Disk(medium: MemoryMedium(blockCount: 1024)))
        v.members[1].isFailed = false
        #expect(try v.read(0, blocks: 64) == pattern(0, blocks: 64), "the new member is not read before it is rebuilt")
    }

    @Test(arguments: [(RAIDLayout.Level.raid1, 2), (.raid5, 3), (.raid10, 4)])
    func verifyFindsAndFixesInconsistentBlocks(_ level: RAIDLayout.Level, _ n: Int) throws {
        let v = try volume(level, members: n)
        try v.write(0, pattern(0, blocks: 64))
        // Corrupt two blocks behind the controller's back.
        try v.members[1].write(v.layout.startBlock + 3, pattern(0, blocks: 2, seed: 99))
        #expect(try v.verify(v.layout.memberRange, fix: false) == 2)
        #expect(try v.verify(v.layout.memberRange, fix: true) == 2)
        #expect(try v.verify(v.layout.memberRange, fix: false) == 0)
    }

    @Test func writtenExtentsMapMemberRegionsBackToTheDrive() throws {
        let v = try volume(.raid5, members: 3, memberBlocks: 1_000_000)
        try v.write(500_000, pattern(0, blocks: 1))
        let e = v.writtenExtents(in: 0..<v.blockCount)
        #expect(e.count == 1 && e[0].contains(500_000) && e[0].count < 1_000)
    }
}
