import XCTest
import Autograd

/// The bf16 paths of `GEMM.multiply` against the exact product of the same bf16-rounded
/// operands, and against the float32 path within bf16's tolerance; the AMX path's packing and
/// blocking through an emulation of `tdpbf16ps` on CPUs without AMX; rounding; and which path a
/// requested precision selects.
final class BF16GEMMTests: XCTestCase {
    private var saved: (path: MatrixPath, threads: Int, amx: GEMM.AMXKernel, extent: Int) = (.fp32, 1, .hardware, 32)

    override func setUp() {
        saved = (GEMM.path, Parallel.threadCount, GEMM.amxKernel, GEMM.amxMinimumExtent)
    }

    override func tearDown() {
        GEMM.path = saved.path
        Parallel.threadCount = saved.threads
        GEMM.amxKernel = saved.amx
        GEMM.amxMinimumExtent = saved.extent
    }

    // MARK: - Each kernel against the exact product of rounded operands

    func testAVX512BF16AgainstExactProductOfRoundedOperands() throws {
        try XCTSkipUnless(MatrixPath.avx512bf16.isAvailable, "SKIPPED: this CPU has no AVX512-BF16")
        GEMM.path = .avx512bf16
        checkAwkwardShapes()
    }

    func testAMXAgainstExactProductOfRoundedOperands() throws {
        try XCTSkipUnless(MatrixPath.amx.isAvailable, "SKIPPED: this CPU (or OS) offers no AMX-BF16")
        GEMM.path = .amx
        checkAwkwardShapes()
    }

    /// The AMX path on any CPU: packing with depth padded to whole tiles, 32-row blocks, edges
    /// and threads, with the tile instruction replaced by `emulatedAMXBlock`, written from the
    /// instruction's definition. A broken VNNI packing fails here even where AMX is absent (but
    /// not where AVX512-BF16 is absent too: the packing kernels need it).
    func testAMXPackingAndBlockingWithEmulatedTiles() throws {
        // The packing kernels convert with AVX512-BF16, which every AMX CPU also has.
        try XCTSkipUnless(MatrixPath.avx512bf16.isAvailable, "SKIPPED: this CPU has no AVX512-BF16 to pack with")
        GEMM.amxKernel = GEMM.AMXKernel(configure: {}, block: emulatedAMXBlock)
        GEMM.path = .amx
        // Every shape on the AMX tiles, then the dispatcher's mix: small shapes on the
        // AVX512-BF16 tile, reading operands packed with the AMX path's padding.
        for extent in [1, 32] {
            GEMM.amxMinimumExtent = extent
            checkAwkwardShapes(sizes: [1, 17, 33, 70], depths: [1, 31, 33, 530])
        }
    }

    /// On the AMX path a product runs on the AMX tiles only when `m`, `n` and `k` all reach
    /// `amxMinimumExtent` (a 20 × 20 × 64 attention head does not; a recurrent step's
    /// 64 × 768 × 256 does), else on the AVX512-BF16 tile; either way the product is right.
    func testAMXPathChoosesItsKernelByShape() throws {
        try XCTSkipUnless(MatrixPath.avx512bf16.isAvailable, "SKIPPED: this CPU has no AVX512-BF16 to pack with")
        GEMM.amxKernel = GEMM.AMXKernel(configure: {}, block: countingAMXBlock)
        GEMM.path = .amx
        Parallel.threadCount = 1
        for (m, n, k, amx) in [(20, 20, 64, false), (64, 768, 256, true), (32, 32, 32, true), (31, 64, 64, false),
                               (64, 31, 64, false), (64, 64, 31, false), (200, 5, 300, false)] {
            XCTAssertEqual(GEMM.bf16Kernel(path: .amx, m: m, n: n, k: k), amx ? .amx : .avx512bf16, "\(m)×\(n)×\(k)")
            XCTAssertEqual(GEMM.bf16Kernel(path: .avx512bf16, m: m, n: n, k: k), .avx512bf16)
            XCTAssertEqual(GEMM.bf16Kernel(path: .fp32, m: m, n: n, k: k), .fp32)
            amxBlockCalls = 0
            check(Case(m: m, n: n, k: k, transposeA: false, transposeB: true, alpha: 1, beta: 0, padding: 0, threads: 1),
                  file: #filePath, line: #line)
            XCTAssertEqual(amxBlockCalls > 0, amx, "\(m)×\(n)×\(k): \(amxBlockCalls) AMX blocks")
        }
    }

    /// Thin products (a few rows or columns) read their operands rounded by the unpacked
    /// kernels; they must agree with the packed bf16 kernels on the same shapes.
    func testThinProductsBothWays() throws {
        let path = try XCTUnwrap(MatrixPath.bestBF16, "SKIPPED: this CPU has no bf16 path")
        defer { GEMM.allowsUnpacked = true }
        for (path, kernel) in [(path, GEMM.amxKernel), (.amx, GEMM.AMXKernel(configure: {}, block: emulatedAMXBlock))] {
            GEMM.path = path
            GEMM.amxKernel = kernel
            for allowsUnpacked in [true, false] {
                GEMM.allowsUnpacked = allowsUnpacked
                for (index, shape) in [(1, 64, 64), (1, 70, 31), (64, 1, 512), (3, 1000, 17), (4, 257, 100),
                                       (257, 4, 100), (2, 33, 47), (33, 2, 47), (1, 1, 300), (17, 3, 64)].enumerated() {
                    for (transposeA, transposeB) in [(false, false), (true, false), (false, true), (true, true)] {
                        check(Case(m: shape.0, n: shape.1, k: shape.2, transposeA: transposeA, transposeB: transposeB,
                                   alpha: index % 2 == 0 ? 1 : 0.5, beta: [0, 1, 0.5][index % 3],
                                   padding: index % 2 * 3, threads: 1), file: #filePath, line: #line)
                    }
                }
            }
        }
    }

    /// Shapes below, at and across the tiles (8 or 32 rows × 32 columns), the 512-deep blocks
    /// (odd depths leave half a pair), and the 512-column sweeps, every orientation, alpha and
    /// beta, padded leading dimensions, one and two threads.
    private func checkAwkwardShapes(sizes: [Int] = [1, 7, 33, 257], depths: [Int] = [1, 7, 33, 257, 600],
                                    file: StaticString = #filePath, line: UInt = #line) {
        var variant = 0
        for threads in [1, 2] {
            for m in sizes {
                for n in sizes {
                    for k in depths {
                        for (transposeA, transposeB) in [(false, false), (true, false), (false, true), (true, true)] {
                            let alpha: Float = [1, -0.75, 2.5][variant % 3]
                            let beta: Float = [0, 1, 0.5][variant / 3 % 3]
                            let padding = [0, 3, 17][variant / 9 % 3]
                            variant += 1
                            check(Case(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB,
                                       alpha: alpha, beta: beta, padding: padding, threads: threads),
                                  file: file, line: line)
                        }
                    }
                }
            }
        }
        for (m, n, k) in [(64, 768, 256), (1280, 40, 64), (9, 1100, 40)] {
            check(Case(m: m, n: n, k: k, transposeA: false, transposeB: true, alpha: 1, beta: 1, padding: 0, threads: 2),
                  file: file, line: line)
        }
    }

    // MARK: - Bias

    /// `bias:` adds the same row to every row of `C` on every path: in the AVX512-BF16 tile's
    /// stores, elsewhere through rows seeded with it; with `B` packed beforehand or not, over
    /// several depth blocks (the bias must be added once), edges, thin shapes and two threads.
    /// `relu:` then gives `max(C, 0)` of the same values (the tile rectifies only its last depth
    /// block's stores: an earlier block's partial sums may be negative).
    func testBiasAndReLUOnEveryPath() throws {
        var paths: [(MatrixPath, GEMM.AMXKernel)] = [(.fp32, .hardware)]
        if let best = MatrixPath.bestBF16 { paths.append((best, .hardware)) }
        if MatrixPath.avx512bf16.isAvailable { paths.append((.amx, GEMM.AMXKernel(configure: {}, block: emulatedAMXBlock))) }
        var generator = SeededGenerator(seed: 7)
        // The emulated AMX path twice: every shape on its tiles, and the dispatcher's mix.
        for ((path, kernel), extent) in paths.flatMap({ entry in (entry.0 == .amx ? [1, 32] : [32]).map { (entry, $0) } }) {
            GEMM.path = path
            GEMM.amxKernel = kernel
            GEMM.amxMinimumExtent = extent
            for (m, n, k) in [(1, 16, 8), (7, 33, 600), (64, 768, 256), (70, 5, 3), (3, 70, 40), (130, 40, 1030)] {
                for (transposeB, packs, threads) in [(true, false, 1), (false, true, 2), (true, true, 2), (false, false, 2)] {
                    Parallel.threadCount = threads
                    let a = (0..<m * k).map { _ in generator.uniform(-1, 1) }
                    let b = (0..<k * n).map { _ in generator.uniform(-1, 1) }
                    let bias = (0..<n).map { _ in generator.uniform(-2, 2) }
                    let ldb = transposeB ? k : n
                    var plain = [Float](repeating: .nan, count: m * n)
                    GEMM.multiply(transposeA: false, transposeB: transposeB, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: ldb,
                                  c: &plain, ldc: n)
                    func product(relu: Bool) -> [Float] {
                        var c = [Float](repeating: .nan, count: m * n)
                        b.withUnsafeBufferPointer { bp in
                            if packs, let packed = PackedMatrix(transposed: transposeB, k: k, n: n, b: bp.baseAddress!, ldb: ldb) {
                                GEMM.multiply(transposeA: false, m: m, n: n, k: k, a: a, lda: k, packedB: packed, fallback: bp.baseAddress!,
                                              ldb: ldb, c: &c, ldc: n, bias: bias, relu: relu)
                            } else {
                                GEMM.multiply(transposeA: false, transposeB: transposeB, m: m, n: n, k: k, a: a, lda: k,
                                              b: bp.baseAddress!, ldb: ldb, c: &c, ldc: n, bias: bias, relu: relu)
                            }
                        }
                        return c
                    }
                    let biased = product(relu: false), rectified = product(relu: true)
                    XCTAssertEqual(rectified, biased.map { max($0, 0) },
                                   "relu: \(path) \(m)×\(n)×\(k) transposeB \(transposeB) packed \(packs) threads \(threads)")
                    var worst: Float = 0
                    for i in 0..<m { for j in 0..<n {
                        let expected = plain[i * n + j] + bias[j]
                        worst = max(worst, abs(biased[i * n + j] - expected) / (abs(expected) + Float(k).squareRoot()))
                    } }
                    XCTAssertLessThanOrEqual(worst, 1e-6, "\(path) \(m)×\(n)×\(k) transposeB \(transposeB) packed \(packs) threads \(threads)")
                }
            }
        }
    }

    /// `multiply(stackedA:stackedB:)` packs both operands from pieces of their depth where they
    /// lie (a weight gradient summed over recurrent steps): the same bits as the product of the
    /// pieces copied together, with pieces crossing the 512-deep blocks, an odd last piece,
    /// edges, β 0 and 1, on one and two threads, through AVX512-BF16 and emulated AMX tiles.
    func testProductOfStackedPiecesEqualsProductOfTheirCopy() throws {
        let best = try XCTUnwrap(MatrixPath.bestBF16, "SKIPPED: this CPU has no bf16 path")
        defer { GEMM.allowsUnpacked = true }
        GEMM.allowsUnpacked = false
        var generator = SeededGenerator(seed: 5)
        for (path, kernel) in [(best, GEMM.amxKernel), (.amx, GEMM.AMXKernel(configure: {}, block: emulatedAMXBlock))] {
            GEMM.path = path
            GEMM.amxKernel = kernel
            for pieceRows in [[64, 64, 64, 64, 64, 64, 64, 64, 64, 64], [30, 2, 100, 400, 7], [6, 250, 256, 16, 33], [3]] {
                for (m, n, threads, beta) in [(37, 70, 1, Float(0)), (256, 64, 2, 1), (5, 33, 2, 0), (70, 40, 2, 1)] {
                    Parallel.threadCount = threads
                    let k = pieceRows.reduce(0, +)
                    let a = (0..<k * m).map { _ in generator.uniform(-1, 1) }, b = (0..<k * n).map { _ in generator.uniform(-1, 1) }
                    let start = (0..<m * n).map { _ in beta == 0 ? Float.nan : generator.uniform(-1, 1) }
                    var copied = start, stacked = start
                    GEMM.multiply(transposeA: true, transposeB: false, m: m, n: n, k: k, a: a, lda: m, b: b, ldb: n,
                                  beta: beta, c: &copied, ldc: n)
                    // The same rows, each piece in its own buffer.
                    withPointers(split(a, rows: pieceRows, width: m)) { aBases in
                        withPointers(split(b, rows: pieceRows, width: n)) { bBases in
                            let x = StackedRows(pieces: Array(zip(aBases, pieceRows)), ld: m)
                            let y = StackedRows(pieces: Array(zip(bBases, pieceRows)), ld: n)
                            XCTAssertTrue(GEMM.readsPieces(x, y))
                            GEMM.multiply(stackedA: x, stackedB: y, m: m, n: n, beta: beta, c: &stacked, ldc: n)
                        }
                    }
                    let differing = zip(copied, stacked).filter { $0.0.bitPattern != $0.1.bitPattern }.count
                    XCTAssertEqual(differing, 0, "\(path) pieces \(pieceRows) \(m)×\(n) β \(beta) threads \(threads)")
                }
            }
        }
        // A pair of depth elements would straddle two pieces: not read in place.
        let odd = StackedRows(pieces: [(UnsafePointer(bitPattern: 64)!, 3), (UnsafePointer(bitPattern: 64)!, 2)], ld: 1)
        XCTAssertFalse(GEMM.readsPieces(odd, odd))
    }

    // MARK: - bf16 against float32

    /// The same products through the float32 path and the best bf16 path differ by no more than
    /// rounding both operands to 8 significant bits allows: `2⁻⁸ · Σ |a||b|` per entry.
    func testBF16AgainstFloat32WithinBF16Tolerance() throws {
        let path = try XCTUnwrap(MatrixPath.bestBF16, "SKIPPED: this CPU has no bf16 path")
        for (m, n, k) in [(64, 768, 256), (33, 70, 129), (1, 300, 64)] {
            for threads in [1, 2] {
                Parallel.threadCount = threads
                let test = Case(m: m, n: n, k: k, transposeA: false, transposeB: true, alpha: 1, beta: 0, padding: 0,
                                threads: threads)
                let operands = Operands(test)
                GEMM.path = .fp32
                let single = operands.multiplied()
                GEMM.path = path
                let mixed = operands.multiplied()
                let scale = operands.absoluteProduct()
                var worst: Float = 0
                for index in 0..<m * n { worst = max(worst, abs(single[index] - mixed[index]) / scale[index]) }
                XCTAssertLessThanOrEqual(worst, 0x1p-8, "\(path) \(m)×\(n)×\(k), \(threads) threads")
                // And it did round: a bf16 product that matched float32 to float32 precision would not be bf16.
                XCTAssertGreaterThan(worst, 1e-5, "\(path) \(m)×\(n)×\(k): no sign of bf16 rounding")
            }
        }
    }

    // MARK: - Rounding and the dispatcher

    /// Round to nearest even at bit 16, NaN kept, overflow to infinity, denormals flushed.
    func testRoundingToNearestEven() {
        XCTAssertEqual(BFloat16.round(1), 1)
        XCTAssertEqual(BFloat16.round(1 + 0x1p-8), 1, "a tie goes to the even mantissa (down)")
        XCTAssertEqual(BFloat16.round(1 + 3 * 0x1p-8), 1 + 0x1p-6, "a tie goes to the even mantissa (up)")
        XCTAssertEqual(BFloat16.round(1 + 0x1p-8 + 0x1p-20), 1 + 0x1p-7, "above a tie rounds up")
        XCTAssertEqual(BFloat16.round(-3.14159), -3.140625)
        XCTAssertEqual(BFloat16.round(.greatestFiniteMagnitude), .infinity)
        XCTAssertEqual(BFloat16.round(-.infinity), -.infinity)
        XCTAssertTrue(BFloat16.round(.nan).isNaN)
        XCTAssertTrue(BFloat16.round(Float(bitPattern: 0x7F80_0001)).isNaN, "a NaN with low payload bits stays NaN")
        XCTAssertEqual(BFloat16.round(1e-39).bitPattern, 0, "denormals become zero, as vcvtne2ps2bf16 makes them")
        XCTAssertEqual(BFloat16.round(-1e-40).bitPattern, 0x8000_0000)
    }

    /// Denormals (flushed to zero), ties (to even) and values that round up to the next binade
    /// are rounded alike by the packing kernels (`vcvtne2ps2bf16`), by the unpacked kernels of thin
    /// products, and by `BFloat16.round`: a denormal times 1e38 would add 0.1 if it were kept.
    func testEveryPathRoundsSpecialValuesAlike() throws {
        let path = try XCTUnwrap(MatrixPath.bestBF16, "SKIPPED: this CPU has no bf16 path")
        let k = 64
        let specials: [Float] = [1 + 0x1p-8, 1 + 3 * 0x1p-8, 1.9999, -2.0039062, 0x1.FFFFFEp0, 0.333, 3.1416]
        // Even depths pair a 1e38 with a denormal (0.1 or more if the denormal were kept), odd
        // depths two of the specials. `large` says which operand holds the 1e38s.
        func operand(_ rows: Int, _ columns: Int, depthAlongRows: Bool, large: Bool) -> [Float] {
            (0..<rows * columns).map { index in
                let depth = depthAlongRows ? index / columns : index % columns
                if depth % 2 == 0 { return large ? 1e38 : (index % 2 == 0 ? 1e-39 : -3e-39) }
                return specials[index % specials.count]
            }
        }
        // Thin products (the unpacked kernels, each operand in turn the vector one) and a packed one.
        for (m, n) in [(1, 16), (16, 1), (64, 48)] {
            for largeA in [true, false] {
                let a = operand(m, k, depthAlongRows: false, large: largeA)
                let b = operand(k, n, depthAlongRows: true, large: !largeA)
                var fast = [Float](repeating: 0, count: m * n), exact = fast
                GEMM.path = path
                GEMM.multiply(transposeA: false, transposeB: false, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n,
                              c: &fast, ldc: n)
                GEMM.naive(transposeA: false, transposeB: false, m: m, n: n, k: k, a: a.map(BFloat16.round), lda: k,
                           b: b.map(BFloat16.round), ldb: n, c: &exact, ldc: n)
                for index in 0..<m * n {
                    XCTAssertEqual(fast[index], exact[index], accuracy: abs(exact[index]) * 1e-5 + 1e-30,
                                   "\(m)×\(n), 1e38s in \(largeA ? "A" : "B"), entry \(index)")
                }
            }
        }
    }

    func testPrecisionSelectsAPath() throws {
        let none: [String: String] = [:]
        XCTAssertEqual(try MatrixPath.resolve(.fp32, environment: none), .fp32)
        XCTAssertEqual(try MatrixPath.resolve(.auto, environment: none), MatrixPath.bestBF16 ?? .fp32)
        if let best = MatrixPath.bestBF16 {
            XCTAssertEqual(try MatrixPath.resolve(.bf16, environment: none), best)
            XCTAssertEqual(best, MatrixPath.amx.isAvailable ? .amx : .avx512bf16, "AMX is preferred where it exists")
        } else {
            XCTAssertThrowsError(try MatrixPath.resolve(.bf16, environment: none))
        }
        XCTAssertEqual(try MatrixPath.resolve(.auto, environment: ["ATTEND_ISA": "fp32"]), .fp32)
        XCTAssertThrowsError(try MatrixPath.resolve(.auto, environment: ["ATTEND_ISA": "sse2"])) { error in
            XCTAssertTrue("\(error)".contains("not one of fp32, avx512bf16, amx"), "\(error)")
        }
        XCTAssertThrowsError(try MatrixPath.resolve(.bf16, environment: ["ATTEND_ISA": "fp32"]))
        for path in MatrixPath.allCases where path.isBF16 {
            if path.isAvailable {
                XCTAssertEqual(try MatrixPath.resolve(.auto, environment: ["ATTEND_ISA": path.rawValue]), path)
                XCTAssertThrowsError(try MatrixPath.resolve(.fp32, environment: ["ATTEND_ISA": path.rawValue]))
            } else {
                XCTAssertThrowsError(try MatrixPath.resolve(.auto, environment: ["ATTEND_ISA": path.rawValue])) { error in
                    XCTAssertTrue("\(error)".contains("this CPU has no"), "\(error)")
                }
            }
        }
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

    /// Random operands of one case, stored with their padded leading dimensions.
    private struct Operands {
        let test: Case
        let a: [Float], b: [Float], c: [Float]
        var lda: Int { (test.transposeA ? test.m : test.k) + test.padding }
        var ldb: Int { (test.transposeB ? test.k : test.n) + test.padding }
        var ldc: Int { test.n + test.padding }

        init(_ test: Case) {
            self.test = test
            var generator = SeededGenerator(seed: UInt64(test.m * 1_000_003 + test.n * 1009 + test.k))
            let lda = (test.transposeA ? test.m : test.k) + test.padding
            let ldb = (test.transposeB ? test.k : test.n) + test.padding
            a = (0..<(test.transposeA ? test.k : test.m) * lda).map { _ in generator.uniform(-1, 1) }
            b = (0..<(test.transposeB ? test.n : test.k) * ldb).map { _ in generator.uniform(-1, 1) }
            // beta = 0 must ignore C: start from NaN so that any read shows.
            c = test.beta == 0 ? [Float](repeating: .nan, count: test.m * (test.n + test.padding))
                : (0..<test.m * (test.n + test.padding)).map { _ in generator.uniform(-1, 1) }
        }

        /// `GEMM.multiply` on the current path; entries past each row of `C` keep a sentinel.
        func multiplied(sentinel: Float = 12345) -> [Float] {
            var result = c
            for i in 0..<test.m { for j in test.n..<ldc { result[i * ldc + j] = sentinel } }
            Parallel.threadCount = test.threads
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    result.withUnsafeMutableBufferPointer { c in
                        GEMM.multiply(transposeA: test.transposeA, transposeB: test.transposeB, m: test.m, n: test.n,
                                      k: test.k, alpha: test.alpha, a: a.baseAddress!, lda: lda, b: b.baseAddress!,
                                      ldb: ldb, beta: test.beta, c: c.baseAddress!, ldc: ldc)
                    }
                }
            }
            return result
        }

        /// The Float64 product of `transform`ed operands, `alpha · op(A)·op(B) + beta · C`.
        func reference(_ transform: (Float) -> Float, alpha: Float, beta: Float) -> [Float] {
            let x = a.map(transform), y = b.map(transform)
            var result = beta == 0 ? [Float](repeating: 0, count: c.count) : c
            x.withUnsafeBufferPointer { x in
                y.withUnsafeBufferPointer { y in
                    result.withUnsafeMutableBufferPointer { r in
                        GEMM.naive(transposeA: test.transposeA, transposeB: test.transposeB, m: test.m, n: test.n,
                                   k: test.k, alpha: alpha, a: x.baseAddress!, lda: lda, b: y.baseAddress!, ldb: ldb,
                                   beta: beta, c: r.baseAddress!, ldc: ldc)
                    }
                }
            }
            return result
        }

        /// `Σₚ |op(A)ᵢₚ| · |op(B)ₚⱼ|` of the unrounded operands, the scale of rounding errors.
        func absoluteProduct() -> [Float] { reference(abs, alpha: 1, beta: 0) }
    }

    /// Every entry of `C` within `1e-5` of the exact product of the rounded operands, relative to
    /// `|alpha| Σ |a||b| + |beta C|`, and nothing written past the rows' ends.
    private func check(_ test: Case, file: StaticString, line: UInt) {
        let operands = Operands(test)
        let sentinel: Float = 12345
        let fast = operands.multiplied(sentinel: sentinel)
        let expected = operands.reference(BFloat16.round, alpha: test.alpha, beta: test.beta)
        let scale = operands.reference({ abs(BFloat16.round($0)) }, alpha: abs(test.alpha), beta: 0)
        var failures = 0
        for i in 0..<test.m {
            for j in 0..<test.n {
                let index = i * operands.ldc + j
                let bound = 1e-5 * (scale[index] + (test.beta == 0 ? 0 : abs(test.beta * operands.c[index]))) + 1e-30
                if !(abs(fast[index] - expected[index]) <= bound) {  // also catches NaN
                    failures += 1
                    if failures <= 3 {
                        XCTFail("\(GEMM.path) \(test): C[\(i), \(j)] = \(fast[index]), expected \(expected[index])",
                                file: file, line: line)
                    }
                }
            }
            for j in test.n..<operands.ldc where fast[i * operands.ldc + j] != sentinel {
                XCTFail("\(GEMM.path) \(test): wrote C[\(i), \(j)] past the row end", file: file, line: line)
                return
            }
        }
        if failures > 3 { XCTFail("\(GEMM.path) \(test): \(failures) entries differ in all", file: file, line: line) }
    }
}

/// `matrix` (rows of `width`) cut into consecutive pieces of `rows` rows each.
private func split(_ matrix: [Float], rows: [Int], width: Int) -> [[Float]] {
    var pieces: [[Float]] = [], start = 0
    for count in rows {
        pieces.append(Array(matrix[start * width ..< (start + count) * width]))
        start += count
    }
    return pieces
}

/// Calls `body` with the base address of every array, kept valid for its duration.
private func withPointers<R>(_ arrays: [[Float]], _ body: ([UnsafePointer<Float>]) -> R) -> R {
    let copies = arrays.map { array -> UnsafeMutablePointer<Float> in
        let copy = UnsafeMutablePointer<Float>.allocate(capacity: max(array.count, 1))
        copy.initialize(from: array, count: array.count)
        return copy
    }
    defer { copies.forEach { $0.deallocate() } }
    return body(copies.map { UnsafePointer($0) })
}

/// How many blocks `countingAMXBlock` has computed.
nonisolated(unsafe) private var amxBlockCalls = 0

/// `emulatedAMXBlock`, counted.
private let countingAMXBlock: GEMM.AMXKernel.Block = { chunks, a, aStride, b, c, ldc, alpha, beta, scratch in
    amxBlockCalls += 1
    emulatedAMXBlock(chunks, a, aStride, b, c, ldc, alpha, beta, scratch)
}

/// `attend_bf16_block_amx` with `tdpbf16ps` emulated as the Intel SDM defines it: for each row
/// `m` of an `A` tile and column `n` of a `B` tile, `C[m][n] += Σ_k A[m].bf16[2k]·B[k].bf16[2n] +
/// A[m].bf16[2k+1]·B[k].bf16[2n+1]`, `A` tiles holding rows `a + i·aStride` (16 words from
/// `chunk · 16`), `B` tiles 16 rows of 16 words, 32 words apart. Then `C = alpha · T + beta · C`.
private let emulatedAMXBlock: GEMM.AMXKernel.Block = { chunks, a, aStride, b, c, ldc, alpha, beta, _ in
    guard let a, let b, let c else { return }
    func low(_ word: UInt32) -> Float { Float(bitPattern: word << 16) }
    func high(_ word: UInt32) -> Float { Float(bitPattern: word & 0xFFFF_0000) }
    for tileRow in 0..<2 {
        for tileColumn in 0..<2 {
            for m in 0..<16 {
                for n in 0..<16 {
                    let row = tileRow * 16 + m, column = tileColumn * 16 + n
                    var sum: Float = 0
                    for chunk in 0..<chunks {
                        let aTile = a + row * aStride + chunk * 16
                        let bTile = b + chunk * 16 * 32 + tileColumn * 16
                        for k in 0..<16 {
                            let x = aTile[k], y = bTile[k * 32 + n]
                            sum += low(x) * low(y) + high(x) * high(y)
                        }
                    }
                    let target = c + row * ldc + column
                    target.pointee = beta == 0 ? alpha * sum : alpha * sum + beta * target.pointee
                }
            }
        }
    }
}
