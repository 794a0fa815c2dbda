/// A set of block ranges, kept sorted and merged: which blocks of a sparse medium were written.
public struct Extents: Hashable, Sendable {
    public private(set) var ranges: [Range<UInt64>] = []

    public init() {}
    public init(_ ranges: some Sequence<Range<UInt64>>) { for r in ranges { insert(r) } }

    /// Adds a range, merging it with the ranges it touches.
    public mutating func insert(_ r: Range<UInt64>) {
        guard !r.isEmpty else { return }
        // The first range that ends at or after r's start, the first that starts after r's end.
        let lo = firstIndex { $0.upperBound >= r.lowerBound }
        let hi = firstIndex { $0.lowerBound > r.upperBound }
        guard lo < hi else { ranges.insert(r, at: lo); return }
        let merged = min(ranges[lo].lowerBound, r.lowerBound)..<max(ranges[hi - 1].upperBound, r.upperBound)
        ranges.replaceSubrange(lo..<hi, with: [merged])
    }

    /// The parts of the set within `window`.
    public func clipped(to window: Range<UInt64>) -> [Range<UInt64>] {
        var out: [Range<UInt64>] = []
        for r in ranges[firstIndex { $0.upperBound > window.lowerBound }...] {
            if r.lowerBound >= window.upperBound { break }
            out.append(max(r.lowerBound, window.lowerBound)..<min(r.upperBound, window.upperBound))
        }
        return out
    }

    /// Whether any block of `r` is in the set.
    public func overlaps(_ r: Range<UInt64>) -> Bool { !clipped(to: r).isEmpty }

    /// The total number of blocks in the set.
    public var blockCount: UInt64 { ranges.reduce(0) { $0 + ($1.upperBound - $1.lowerBound) } }

    /// Binary search: the first index whose range satisfies `p` (monotone over the sorted ranges).
    private func firstIndex(where p: (Range<UInt64>) -> Bool) -> Int {
        var lo = 0, hi = ranges.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if p(ranges[mid]) { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}
