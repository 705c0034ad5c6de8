import Autograd
import Foundation
import XCTest

/// The row kernels' partial last block: one masked load and one masked store, which must touch
/// nothing past the row's last element (a row may end where the buffer, and the mapping, ends).
final class PartialBlockTests: XCTestCase {
    /// A page followed by an inaccessible one: a read or a write past the page's end crashes.
    private final class GuardedPage {
        let size = Int(sysconf(Int32(_SC_PAGESIZE)))
        let base: UnsafeMutableRawPointer

        init() {
            base = mmap(nil, 2 * size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
            precondition(base != MAP_FAILED)
            precondition(mprotect(base + size, size, PROT_NONE) == 0)
        }

        deinit { munmap(base, 2 * size) }

        /// The last `count` floats of the accessible page.
        func last(_ count: Int) -> UnsafeMutablePointer<Float> {
            (base + (size - count * MemoryLayout<Float>.size)).assumingMemoryBound(to: Float.self)
        }
    }

    /// `Vector.exp` over rows of every length up to 40, each ending on the last element of a page:
    /// whole blocks and the partial one give `eˣ` in every lane (the padding lanes are
    /// neither read nor stored, or the test faults), and elements before the row are untouched.
    func testPartialBlocksReadAndWriteOnlyTheirLanes() {
        let source = GuardedPage(), target = GuardedPage()
        for count in 1...40 {
            let x = source.last(count), y = target.last(count)
            for i in 0..<count { x[i] = Float(i % 7) - 3.25 + Float(count) / 64 }
            (y - 1).pointee = 42
            Vector.exp(x, y, count)
            XCTAssertEqual((y - 1).pointee, 42, "count \(count): wrote before the row")
            for i in 0..<count {
                let expected = Foundation.exp(Double(x[i]))
                XCTAssertEqual(Double(y[i]), expected, accuracy: 2e-7 * expected, "count \(count), element \(i)")
            }
        }
    }
}
