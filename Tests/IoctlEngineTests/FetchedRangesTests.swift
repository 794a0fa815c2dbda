import I2OABI
import I2ODevice
import Testing
@testable import IoctlEngine

@Suite struct FetchedRangesTests {
    static func r(_ a: UInt64, _ n: Int) -> UserRange { UserRange(address: a, count: n) }

    @Test func userRangesHoldFourInlineThenGrow() {
        var list: UserRanges = [Self.r(0x10, 4), Self.r(0x20, 8)]
        #expect(Array(list) == [Self.r(0x10, 4), Self.r(0x20, 8)])
        for i in 0..<5 { list.append(Self.r(0x100 + UInt64(i), i)) }
        #expect(list.count == 7)
        #expect(list[3] == Self.r(0x101, 1) && list[4] == Self.r(0x102, 2) && list[6] == Self.r(0x104, 4))
        let joined = list + [Self.r(0x999, 9)]
        #expect(joined.count == 8 && joined.last == Self.r(0x999, 9) && joined.first == Self.r(0x10, 4))
        #expect(UserRanges().isEmpty)
        #expect(Array(UserRanges([Self.r(1, 1), Self.r(2, 2)])) == [Self.r(1, 1), Self.r(2, 2)])
    }

    @Test func fetchedFromArraysKeepsEachRangeAndItsFaults() {
        let got = FetchedRanges([[1, 2, 3, 4], nil, [9, 8], []])
        #expect(got.count == 4)
        #expect(got.u32(0) == 0x0403_0201)
        #expect(got.bytes(0) == [1, 2, 3, 4])
        #expect(got.bytes(1) == nil && got.u32(1) == nil)
        #expect(got.bytes(2) == [9, 8])
        #expect(got.u32(2) == nil)            // shorter than a u32
        #expect(got.bytes(3) == [])
        #expect(got.bytes(4) == nil && got.bytes(-1) == nil)
    }

    @Test func builtAnswerHoldsEachRangeInOrder() {
        var built = FetchedRanges(reservingCapacity: 8)
        built.append([5, 0, 0, 0])
        built.appendFault()
        built.append([3, 3][...])
        let raw: [UInt8] = [0xAA, 7, 7]
        raw.withUnsafeBytes { built.append(UnsafeRawBufferPointer(rebasing: $0[1...])) }
        #expect(built.u32(0) == 5 && built.bytes(1) == nil && built.bytes(2) == [3, 3] && built.bytes(3) == [7, 7])
        // A single range is the buffer itself.
        var one = FetchedRanges(reservingCapacity: 2)
        one.append([1, 2])
        #expect(one.bytes(0) == [1, 2] && one.slice(0) == [1, 2][...])
    }

    /// The default `fetch(_:_:)` of a memory that answers only `fetch(reads:writes:)`.
    @Test func defaultFetchGoesThroughTheArrayFetch() throws {
        var h = Harness(.lp64)
        let a = h.mem.place([1, 0, 0, 0, 2, 0, 0, 0])
        let got = try h.mem.fetch([Self.r(a, 4), Self.r(a + 4, 4), Self.r(0, 4)], [])
        #expect(got.u32(0) == 1 && got.u32(1) == 2 && got.bytes(2) == nil)
    }
}
