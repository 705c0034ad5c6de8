import Autograd
import Foundation
import XCTest

/// The row-wise ops (softmax, log-softmax, cross-entropy, layer norm, additive scores) and the
/// copying and reducing ops, at sizes that split over the `Parallel` pool and with widths that
/// leave partial 16-lane blocks, against straightforward Float64 loops.
final class RowOpFastPathTests: FastPathTestCase {
    /// `[rows, n]` rows of `values`, masked where `keep` is false, as softmax (or its log).
    static func softmaxRows(_ values: [Double], n: Int, keep: (Int) -> Bool, logarithm: Bool) -> [Double] {
        var out = [Double](repeating: 0, count: values.count)
        for start in stride(from: 0, to: values.count, by: n) {
            let kept = (start..<start + n).filter(keep)
            guard let peak = kept.map({ values[$0] }).max() else {
                for i in start..<start + n { out[i] = logarithm ? -.infinity : 0 }
                continue
            }
            let sum = kept.reduce(0.0) { $0 + Foundation.exp(values[$1] - peak) }
            for i in start..<start + n {
                let p = keep(i) ? Foundation.exp(values[i] - peak) / sum : 0
                out[i] = logarithm ? Foundation.log(p) : p
            }
        }
        return out
    }

    func testSoftmaxWithAndWithoutAMaskMatches() {
        // [30, 10, 37], mask [30, 1, 37]: rows 0 and 7 wholly masked.
        let mask = Tensor(shape: [30, 1, 37], scalars: (0..<(30 * 37)).map { i in
            let row = i / 37
            return row == 0 || row == 7 || (i * 7) % 5 == 0 ? 0 : 1
        })
        let keep = { (i: Int) in mask.data[(i / 370) * 37 + i % 37] != 0 }
        for (name, masked) in [("softmax", false), ("masked softmax", true)] {
            check(name, [random([30, 10, 37], seed: 6, -3, 3)], { masked ? $0[0].softmax(mask: mask) : $0[0].softmax() }) { inputs, g in
                let y = Self.softmaxRows(inputs[0], n: 37, keep: masked ? keep : { _ in true }, logarithm: false)
                var dx = [Double](repeating: 0, count: y.count)
                for start in stride(from: 0, to: y.count, by: 37) {
                    let dot = (start..<start + 37).reduce(0.0) { $0 + g[$1] * y[$1] }
                    for i in start..<start + 37 { dx[i] = y[i] * (g[i] - dot) }
                }
                return (y, [dx])
            }
        }
        // Log-softmax; masked positions (−∞) are filled so the projection stays finite.
        let filled = Tensor(shape: [30, 10, 37], scalars: (0..<11_100).map { keep($0) ? 0 : 1 })
        check("masked log-softmax", [random([30, 10, 37], seed: 7, -3, 3)],
              { $0[0].logSoftmax(mask: mask).maskedFill(filled, with: 0) }) { inputs, g in
            let y = Self.softmaxRows(inputs[0], n: 37, keep: keep, logarithm: true)
            var dx = [Double](repeating: 0, count: y.count)
            for start in stride(from: 0, to: y.count, by: 37) {
                let total = (start..<start + 37).filter(keep).reduce(0.0) { $0 + g[$1] }
                for i in start..<start + 37 where keep(i) { dx[i] = g[i] - Foundation.exp(y[i]) * total }
            }
            return (y.enumerated().map { keep($0.offset) ? $0.element : 0 }, [dx])
        }
    }

    func testCrossEntropyMatches() {
        let rows = 200, classes = 131
        let targets = (0..<rows).map { $0 % 9 == 4 ? 0 : ($0 * 37) % classes }
        for (smoothing, reduction) in [(Float(0), Reduction.mean), (0.1, .sum)] {
            check("cross-entropy ε \(smoothing)", [random([rows, classes], seed: 8, -4, 4)], tolerance: 1e-5, {
                $0[0].crossEntropy(targets: targets, ignoreIndex: 0, labelSmoothing: smoothing, reduction: reduction)
            }) { inputs, g in
                let p = Self.softmaxRows(inputs[0], n: classes, keep: { _ in true }, logarithm: false)
                let eps = Double(smoothing), counted = targets.filter { $0 != 0 }.count
                let divisor = reduction == .mean ? Double(counted) : 1
                var loss = 0.0, dz = [Double](repeating: 0, count: p.count)
                for r in 0..<rows where targets[r] != 0 {
                    for v in 0..<classes {
                        let q = (v == targets[r] ? 1 - eps : 0) + eps / Double(classes)
                        loss -= q * Foundation.log(p[r * classes + v])
                        dz[r * classes + v] = g[0] * (p[r * classes + v] - q) / divisor
                    }
                }
                return ([loss / divisor], [dz])
            }
        }
    }

    func testLayerNormMatches() {
        let rows = 300, width = 77
        check("layer norm", [random([rows, width], seed: 9, -2, 3), random([width], seed: 10), random([width], seed: 11)],
              tolerance: 1e-5, { $0[0].layerNorm(gain: $0[1], bias: $0[2]) }) { inputs, g in
            let (x, gain, bias) = (inputs[0], inputs[1], inputs[2])
            var y = [Double](), dx = [Double](), dGain = [Double](repeating: 0, count: width), dBias = dGain
            for r in 0..<rows {
                let row = Array(x[r * width..<(r + 1) * width]), gr = Array(g[r * width..<(r + 1) * width])
                let mean = row.reduce(0, +) / Double(width)
                let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(width)
                let s = (variance + 1e-5).squareRoot()
                let n = row.map { ($0 - mean) / s }
                y += (0..<width).map { n[$0] * gain[$0] + bias[$0] }
                let scaled = (0..<width).map { gr[$0] * gain[$0] }
                let meanG = scaled.reduce(0, +) / Double(width)
                let meanGN = (0..<width).reduce(0) { $0 + scaled[$1] * n[$1] } / Double(width)
                dx += (0..<width).map { (scaled[$0] - meanG - n[$0] * meanGN) / s }
                for d in 0..<width {
                    dGain[d] += gr[d] * n[d]
                    dBias[d] += gr[d]
                }
            }
            return (y, [dx, dGain, dBias])
        }
    }

    func testAdditiveScoresMatch() {
        for (batch, length, width) in [(16, 20, 100), (3, 5, 7)] {
            let inputs = [random([batch, width], seed: 12), random([batch, length, width], seed: 13), random([width], seed: 14)]
            check("additive scores \([batch, length, width])", inputs, tolerance: 1e-5,
                  { Tensor.additiveScores(query: $0[0], keys: $0[1], vector: $0[2]) }) { x, g in
                var e = [Double](), dq = [Double](repeating: 0, count: x[0].count)
                var dk = [Double](repeating: 0, count: x[1].count), dv = [Double](repeating: 0, count: width)
                for b in 0..<batch {
                    for s in 0..<length {
                        let row = b * length + s
                        var energy = 0.0
                        for a in 0..<width {
                            let t = Foundation.tanh(x[0][b * width + a] + x[1][row * width + a])
                            energy += x[2][a] * t
                            let d = g[row] * x[2][a] * (1 - t * t)
                            dq[b * width + a] += d
                            dk[row * width + a] = d
                            dv[a] += g[row] * t
                        }
                        e.append(energy)
                    }
                }
                return (e, [dq, dk, dv])
            }
        }
    }

    func testCopyingOpsMatch() {
        let x = random([64, 20, 97], seed: 15)
        check("slice", [x], { $0[0].slice(axis: 2, start: 31, length: 41) }) { inputs, g in
            var out = [Double](), dx = [Double](repeating: 0, count: inputs[0].count)
            for o in 0..<(64 * 20) {
                for i in 0..<41 {
                    out.append(inputs[0][o * 97 + 31 + i])
                    dx[o * 97 + 31 + i] = g[o * 41 + i]
                }
            }
            return (out, [dx])
        }
        // One outer position (rows of a weight): split within the block, zeros around it.
        let weight = random([600, 256], seed: 24)
        check("slice on axis 0", [weight], { $0[0].slice(axis: 0, start: 100, length: 400) }) { inputs, g in
            var dx = [Double](repeating: 0, count: 600 * 256)
            dx.replaceSubrange(100 * 256 ..< 500 * 256, with: g)
            return (Array(inputs[0][100 * 256 ..< 500 * 256]), [dx])
        }
        // Rows gathered on both threads; repeated tokens sum their gradients.
        let table = random([50, 256], seed: 25)
        let ids = (0..<300).map { ($0 * 37 + $0 / 7) % 50 }
        check("embedding", [table], { $0[0].embedding(ids, shape: [3, 100]) }) { inputs, g in
            var out = [Double](), dw = [Double](repeating: 0, count: 50 * 256)
            for (n, id) in ids.enumerated() {
                out += inputs[0][id * 256 ..< (id + 1) * 256]
                for e in 0..<256 { dw[id * 256 + e] += g[n * 256 + e] }
            }
            return (out, [dw])
        }
        check("transpose 0, 1", [x], { $0[0].transposed(0, 1) }) { inputs, g in
            var out = [Double](), dx = [Double](repeating: 0, count: inputs[0].count)
            for t in 0..<20 { for b in 0..<64 { for e in 0..<97 { out.append(inputs[0][(b * 20 + t) * 97 + e]) } } }
            for t in 0..<20 { for b in 0..<64 { for e in 0..<97 { dx[(b * 20 + t) * 97 + e] = g[(t * 64 + b) * 97 + e] } } }
            return (out, [dx])
        }
        let parts = (0..<5).map { random([64, 3 + $0, 97], seed: 16 + UInt64($0)) }
        check("concat", parts, { Tensor.concat($0, axis: 1) }) { inputs, g in
            let widths = (0..<5).map { (3 + $0) * 97 }, row = widths.reduce(0, +)
            var out = [Double](), grads = widths.map { [Double](repeating: 0, count: 64 * $0) }
            for b in 0..<64 {
                var offset = 0
                for (k, w) in widths.enumerated() {
                    out += inputs[k][b * w..<(b + 1) * w]
                    for i in 0..<w { grads[k][b * w + i] = g[b * row + offset + i] }
                    offset += w
                }
            }
            return (out, grads)
        }
        // One outer position: split by tensors.
        let halves = [random([300, 97], seed: 22), random([200, 97], seed: 23)]
        check("concat on axis 0", halves, { Tensor.concat($0, axis: 0) }) { inputs, g in
            (inputs[0] + inputs[1], [Array(g[..<(300 * 97)]), Array(g[(300 * 97)...])])
        }
        let steps = (0..<7).map { random([64, 97], seed: 30 + UInt64($0)) }
        check("stack", steps, { Tensor.stack($0, axis: 1) }) { inputs, g in
            var out = [Double](), grads = (0..<7).map { _ in [Double](repeating: 0, count: 64 * 97) }
            for b in 0..<64 {
                for k in 0..<7 {
                    out += inputs[k][b * 97..<(b + 1) * 97]
                    for e in 0..<97 { grads[k][b * 97 + e] = g[(b * 7 + k) * 97 + e] }
                }
            }
            return (out, grads)
        }
    }

    func testReductionsMatch() {
        let shape = [13, 21, 37], x = random(shape, seed: 40)
        for axis in 0..<3 {
            for mean in [false, true] {
                check("\(mean ? "mean" : "sum") over axis \(axis)", [x], { mean ? $0[0].mean(axis: axis) : $0[0].sum(axis: axis) }) { inputs, g in
                    let outer = shape[..<axis].reduce(1, *), n = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
                    let scale = mean ? 1 / Double(n) : 1
                    var out = [Double](repeating: 0, count: outer * inner), dx = [Double](repeating: 0, count: inputs[0].count)
                    for o in 0..<outer { for k in 0..<n { for i in 0..<inner {
                        out[o * inner + i] += scale * inputs[0][(o * n + k) * inner + i]
                        dx[(o * n + k) * inner + i] = scale * g[o * inner + i]
                    } } }
                    return (out, [dx])
                }
            }
        }
        check("sum of all", [x], { $0[0].sum() }) { inputs, g in ([inputs[0].reduce(0, +)], [inputs[0].map { _ in g[0] }]) }
    }

    /// Adam's pieces run on the pool: the same bits on 1 and 2 threads, and the update rule's values.
    func testAdamOverPiecesMatchesOnAnyThreadCount() {
        func run(threads: Int) -> [Float] {
            Parallel.threadCount = threads
            let p = random([200_003], seed: 41), q = random([37], seed: 42)
            let adam = Adam(parameters: [p, q], learningRate: 0.01, weightDecay: 0.1)
            for step in 0..<3 {
                p.grad = random([200_003], seed: 50 + UInt64(step))
                q.grad = random([37], seed: 60 + UInt64(step))
                adam.step()
            }
            return p.scalars + q.scalars
        }
        let serial = run(threads: 1)
        XCTAssertEqual(serial, run(threads: 2))
        // One element by the formula, in Float64.
        let p0 = Double(random([200_003], seed: 41).data[199_999])
        var (p, m, v) = (p0, 0.0, 0.0)
        for step in 0..<3 {
            let g = Double(random([200_003], seed: 50 + UInt64(step)).data[199_999]) + 0.1 * p
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g * g
            let t = Double(step + 1)
            p -= 0.01 / (1 - Foundation.pow(0.9, t)) * m / ((v / (1 - Foundation.pow(0.999, t))).squareRoot() + 1e-8)
        }
        XCTAssertEqual(Double(serial[199_999]), p, accuracy: 1e-5)
    }
}
