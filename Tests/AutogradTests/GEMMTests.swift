import Dispatch
import XCTest
import Autograd

/// `GEMM.multiply` against the Float64 reference loop on awkward shapes, and the thread pool
/// behind it.
final class GEMMTests: XCTestCase {
    private var savedThreadCount = 1

    override func setUp() {
        savedThreadCount = Parallel.threadCount
    }

    override func tearDown() {
        Parallel.threadCount = savedThreadCount
        GEMM.allowsUnpacked = true
    }

    /// Every combination of m, n, k from {1, 7, 33, 257}: below, at and across tile edges (8 × 32)
    /// and the 256-wide cache blocks, in all four orientations, on one and two threads.
    func testAwkwardShapesAllTranspositions() {
        let sizes = [1, 7, 33, 257]
        var variant = 0
        for threads in [1, 2] {
            for m in sizes {
                for n in sizes {
                    for k in sizes {
                        for (transposeA, transposeB) in [(false, false), (true, false), (false, true), (true, true)] {
                            // Cycle scalars and padding so that each shows up across all shapes.
                            let alpha: Float = [1, -0.75, 2.5][variant % 3]
                            let beta: Float = [0, 1, 0.5][variant / 3 % 3]
                            let padding = [0, 3, 17][variant / 9 % 3]
                            variant += 1
                            checkAgainstNaive(Case(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB,
                                                   alpha: alpha, beta: beta, padding: padding, threads: threads))
                        }
                    }
                }
            }
        }
    }

    /// Shapes from the models (a batch-64 layer, attention scores), ones that cross every
    /// blocking boundary (m > 256 rows, k > 256 depth with beta, n > 4096 columns), and
    /// lopsided ones that only one split direction can share between threads.
    func testNonSquareAndBlockCrossingShapes() {
        let shapes: [(m: Int, n: Int, k: Int)] = [
            (64, 768, 768), (3, 1000, 17), (1000, 3, 17), (20, 20, 64), (300, 70, 600),
            (9, 4100, 5), (520, 40, 9), (17, 520, 300), (1, 1, 1), (2, 1, 1000),
        ]
        for threads in [1, 2] {
            for (index, shape) in shapes.enumerated() {
                for (transposeA, transposeB) in [(false, false), (true, false), (false, true), (true, true)] {
                    let beta: Float = [0, 1, 0.5][index % 3]
                    checkAgainstNaive(Case(m: shape.m, n: shape.n, k: shape.k, transposeA: transposeA,
                                           transposeB: transposeB, alpha: index % 2 == 0 ? 1 : -1.5, beta: beta,
                                           padding: index % 2 == 0 ? 0 : 5, threads: threads))
                }
            }
        }
    }

    /// Thin products (a few rows or columns: matrix–vector products, a handful of decoder
    /// states) take the unpacked kernels; each must agree with the packed path's answer, so the
    /// same shapes run both ways. Strides of 1 or not, k below and above the dot form's cutoff,
    /// and padded leading dimensions (which force the unpacked path to copy).
    func testThinProductsBothPaths() {
        let shapes: [(m: Int, n: Int, k: Int)] = [
            (1, 64, 64), (1, 70, 31), (64, 1, 512), (3, 1000, 17), (4, 257, 100), (257, 4, 100),
            (2, 33, 47), (33, 2, 47), (1, 1, 300), (4, 4, 4), (1, 15, 40), (17, 3, 64),
        ]
        for allowsUnpacked in [true, false] {
            GEMM.allowsUnpacked = allowsUnpacked
            for (index, shape) in shapes.enumerated() {
                for (transposeA, transposeB) in [(false, false), (true, false), (false, true), (true, true)] {
                    for padding in [0, 3] {
                        checkAgainstNaive(Case(m: shape.m, n: shape.n, k: shape.k, transposeA: transposeA,
                                               transposeB: transposeB, alpha: index % 2 == 0 ? 1 : 0.5,
                                               beta: [0, 1, 0.5][index % 3], padding: padding, threads: 1))
                    }
                }
            }
        }
    }

    /// Empty products: nothing to do for m = 0 or n = 0; for k = 0 (or alpha = 0), `C = beta · C`,
    /// and with beta = 0 that must replace even NaN.
    func testEmptyAndDegenerateProducts() {
        for threads in [1, 2] {
            for (m, n, k) in [(0, 5, 3), (5, 0, 3), (0, 0, 0), (4, 5, 0), (40, 300, 0)] {
                for beta: Float in [0, 1, 0.5] {
                    checkAgainstNaive(Case(m: m, n: n, k: k, transposeA: false, transposeB: false,
                                           alpha: 1, beta: beta, padding: 2, threads: threads))
                }
            }
            checkAgainstNaive(Case(m: 9, n: 40, k: 12, transposeA: true, transposeB: false,
                                   alpha: 0, beta: 0.5, padding: 0, threads: threads))
        }
    }

    /// Calls on the same thread reuse its packing buffers: a large product followed by small
    /// ones (and back) must not see stale packed data.
    func testRepeatedCallsOfChangingShapes() {
        for (m, n, k) in [(300, 300, 300), (7, 9, 3), (300, 300, 300), (33, 1, 257), (8, 32, 256)] {
            checkAgainstNaive(Case(m: m, n: n, k: k, transposeA: false, transposeB: true,
                                   alpha: 1, beta: 0, padding: 1, threads: 2))
        }
    }

    /// Every task index runs exactly once per call, whatever the task count, thread count, or
    /// how the calls are nested or overlapped.
    func testParallelRunsEachTaskExactlyOnce() {
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: 64)
        defer { counts.deallocate() }
        for threads in [1, 2, 3] {
            Parallel.threadCount = threads
            for call in 0..<3000 {
                let tasks = call % 64
                counts.initialize(repeating: 0)
                Parallel.run(tasks: tasks) { index in counts[index] += 1 }
                XCTAssertEqual(Array(counts[..<tasks]), Array(repeating: 1, count: tasks),
                               "threads \(threads), \(tasks) tasks")
                XCTAssertEqual(counts[tasks...].reduce(0, +), 0)
                if call % 500 == 0 { usleep(300) }  // let the worker fall asleep and wake again
            }
        }
    }

    /// A task that itself calls `run`, and callers on several threads at once, run serially
    /// where they cannot share the pool: they complete rather than deadlock.
    func testParallelNestedAndConcurrentCallers() {
        Parallel.threadCount = 2
        let grid = UnsafeMutableBufferPointer<Int>.allocate(capacity: 8 * 8)
        defer { grid.deallocate() }
        grid.initialize(repeating: 0)
        Parallel.run(tasks: 8) { outer in
            Parallel.run(tasks: 8) { inner in grid[outer * 8 + inner] += 1 }
        }
        XCTAssertEqual(Array(grid), Array(repeating: 1, count: 64))

        let callers = 4, calls = 200, tasks = 5
        let slots = UnsafeMutableBufferPointer<Int>.allocate(capacity: callers * tasks)
        defer { slots.deallocate() }
        slots.initialize(repeating: 0)
        DispatchQueue.concurrentPerform(iterations: callers) { caller in
            for _ in 0..<calls {
                Parallel.run(tasks: tasks) { index in slots[caller * tasks + index] += 1 }
            }
        }
        XCTAssertEqual(Array(slots), Array(repeating: calls, count: callers * tasks))
    }

    func testThreadCountIsAtLeastOne() {
        Parallel.threadCount = 0
        XCTAssertEqual(Parallel.threadCount, 1)
        var ran = 0
        Parallel.run(tasks: 3) { _ in ran += 1 }
        XCTAssertEqual(ran, 3)
    }

    // MARK: - Checking one product

    private struct Case {
        let m: Int, n: Int, k: Int
        let transposeA: Bool, transposeB: Bool
        let alpha: Float, beta: Float
        /// Added to every leading dimension beyond the row length.
        let padding: Int
        let threads: Int
    }

    /// Runs `multiply` and `naive` on the same random operands and compares every entry of `C`
    /// within float32 rounding of its scale, `|alpha|·Σₚ|op(A)ᵢₚ|·|op(B)ₚⱼ| + |beta·Cᵢⱼ|`. The
    /// padding past each row of `C` must come back untouched.
    private func checkAgainstNaive(_ test: Case, file: StaticString = #filePath, line: UInt = #line) {
        let (m, n, k) = (test.m, test.n, test.k)
        let lda = (test.transposeA ? m : k) + test.padding
        let ldb = (test.transposeB ? k : n) + test.padding
        let ldc = n + test.padding
        let aRows = test.transposeA ? k : m, bRows = test.transposeB ? n : k
        var generator = SeededGenerator(seed: UInt64(m * 1_000_003 + n * 1009 + k))
        let a = randomMatrix(count: aRows * lda, &generator)
        let b = randomMatrix(count: bRows * ldb, &generator)
        // beta = 0 must ignore C: start from NaN so that any read shows.
        let initial = test.beta == 0 ? [Float](repeating: .nan, count: m * ldc) : randomMatrix(count: m * ldc, &generator)
        let sentinel: Float = 12345
        var fast = initial, expected = initial
        for i in 0..<m { for j in n..<ldc { fast[i * ldc + j] = sentinel } }
        let absoluteA = a.map(abs), absoluteB = b.map(abs)
        var scale = [Float](repeating: 0, count: m * ldc)

        Parallel.threadCount = test.threads
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                fast.withUnsafeMutableBufferPointer { c in
                    GEMM.multiply(transposeA: test.transposeA, transposeB: test.transposeB, m: m, n: n, k: k,
                                  alpha: test.alpha, a: a.baseAddress!, lda: lda, b: b.baseAddress!, ldb: ldb,
                                  beta: test.beta, c: c.baseAddress!, ldc: ldc)
                }
                expected.withUnsafeMutableBufferPointer { c in
                    GEMM.naive(transposeA: test.transposeA, transposeB: test.transposeB, m: m, n: n, k: k,
                               alpha: test.alpha, a: a.baseAddress!, lda: lda, b: b.baseAddress!, ldb: ldb,
                               beta: test.beta, c: c.baseAddress!, ldc: ldc)
                }
            }
        }
        absoluteA.withUnsafeBufferPointer { a in
            absoluteB.withUnsafeBufferPointer { b in
                scale.withUnsafeMutableBufferPointer { c in
                    GEMM.naive(transposeA: test.transposeA, transposeB: test.transposeB, m: m, n: n, k: k,
                               alpha: abs(test.alpha), a: a.baseAddress!, lda: lda, b: b.baseAddress!, ldb: ldb,
                               beta: 0, c: c.baseAddress!, ldc: ldc)
                }
            }
        }

        var failures = 0
        for i in 0..<m {
            for j in 0..<n {
                let index = i * ldc + j
                let bound = 1e-4 * (scale[index] + (test.beta == 0 ? 0 : abs(test.beta * initial[index]))) + 1e-30
                let difference = abs(fast[index] - expected[index])
                if !(difference <= bound) {  // also catches NaN
                    failures += 1
                    if failures <= 3 {
                        XCTFail("\(test): C[\(i), \(j)] = \(fast[index]), expected \(expected[index])",
                                file: file, line: line)
                    }
                }
            }
            for j in n..<ldc where fast[i * ldc + j] != sentinel {
                XCTFail("\(test): wrote C[\(i), \(j)] past the row end", file: file, line: line)
                return
            }
        }
        if failures > 3 { XCTFail("\(test): \(failures) entries differ in all", file: file, line: line) }
    }

    private func randomMatrix(count: Int, _ generator: inout SeededGenerator) -> [Float] {
        (0..<count).map { _ in generator.uniform(-1, 1) }
    }
}
