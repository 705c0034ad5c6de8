import Autograd
import XCTest

/// The buffer pool behind `Storage`: buffers are reused across nearby sizes, and what it keeps
/// idle stays within what was ever in use at once.
final class BufferPoolTests: XCTestCase {
    func testASmallerRequestReusesALargerReleasedBuffer() {
        var pointer: UnsafeMutablePointer<Float>?
        do {
            let first = Storage(count: 1_000_000)
            pointer = first.pointer
        }
        let second = Storage(count: 900_000)
        XCTAssertEqual(second.pointer, pointer, "a batch of shorter sentences reuses the longer batch's buffer")
        second.pointer[899_999] = 1  // the whole requested length is usable
    }

    /// Every request a different size, each released before the next: exact-size free lists
    /// would keep all 400 (about 1.4 GB) idle.
    func testIdleBuffersStayWithinThePeakInUse() {
        for count in stride(from: 400_000, to: 800_000, by: 1_000) {
            let storage = Storage(count: count)
            storage.pointer[count - 1] = 0
        }
        let statistics = MemoryStatistics.current
        XCTAssertLessThanOrEqual(statistics.pooledBytes, max(statistics.peakLiveBytes, 16 << 20))
        XCTAssertLessThan(statistics.pooledBytes, 200 << 20, "\(statistics)")
    }
}
