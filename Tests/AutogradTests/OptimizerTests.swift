import XCTest
import Autograd

/// Optimizers against `torch.optim` (2.x, CPU; expected values printed by a script that ran
/// the same steps), plus clipping, learning-rate schedules and state round trips.
///
/// Every trajectory runs 4 steps on three parameters `a: [2, 3]`, `b: [4]`, `c: [37]` (two whole
/// 16-lane blocks and a tail) with the gradient of `½Σ k⊙p² + Σ d⊙p`, i.e. `g = k⊙p + d`, so
/// each step's gradient depends on the last update.
final class OptimizerTests: XCTestCase {
    static let a0: [Float] = [0.5, -1.25, 2.0, 0.75, -0.3, 1.5]
    static let b0: [Float] = [-2.0, 0.1, 3.0, -0.6]
    static let ca: [Float] = [1.0, 2.0, 0.5, 3.0, 0.25, 1.5], da: [Float] = [0.1, -0.2, 0.3, -0.4, 0.5, -0.6]
    static let cb: [Float] = [0.5, 4.0, 1.0, 2.0], db: [Float] = [0.05, -0.1, 0.2, 0.0]
    // Exactly representable, so Swift and PyTorch start from identical values.
    static let c0: [Float] = (0..<37).map { Float($0 % 11 - 5) * 0.25 }
    static let cc: [Float] = (0..<37).map { 0.5 + Float($0 % 4) * 0.75 }
    static let dc: [Float] = (0..<37).map { Float(($0 * 7) % 13 - 6) * 0.0625 }

    /// Runs `steps` steps of the optimizer `make` builds; at step `skipB`, `b` gets no gradient.
    func trajectory(steps: Int = 4, skipB: Int? = nil,
                    _ make: ([Tensor]) -> Optimizer) -> (a: [Float], b: [Float], c: [Float]) {
        let a = Tensor(shape: [2, 3], scalars: Self.a0, requiresGrad: true)
        let b = Tensor(shape: [4], scalars: Self.b0, requiresGrad: true)
        let c = Tensor(shape: [37], scalars: Self.c0, requiresGrad: true)
        let optimizer = make([a, b, c])
        for t in 1...steps {
            optimizer.zeroGradients()
            a.grad = Tensor(shape: [2, 3], scalars: (0..<6).map { Self.ca[$0] * a.data[$0] + Self.da[$0] })
            if t != skipB { b.grad = Tensor(shape: [4], scalars: (0..<4).map { Self.cb[$0] * b.data[$0] + Self.db[$0] }) }
            c.grad = Tensor(shape: [37], scalars: (0..<37).map { Self.cc[$0] * c.data[$0] + Self.dc[$0] })
            optimizer.step()
        }
        XCTAssertEqual(optimizer.stepCount, steps)
        return (a.scalars, b.scalars, c.scalars)
    }

    func assertClose(_ actual: [Float], _ expected: [Float], tolerance: Float = 2e-6,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, file: file, line: line)
        for (x, y) in zip(actual, expected) where !(abs(x - y) <= tolerance * max(1, abs(y))) {
            XCTFail("got \(actual), expected \(expected)", file: file, line: line)
            return
        }
    }

    func testPlainSGDMatchesPyTorch() {
        let (a, b, c) = trajectory { SGD(parameters: $0, learningRate: 0.1) }
        assertClose(a, [0.29366001, -0.45295998, 1.51771629, 0.28139502, -0.46373060, 0.97420692])
        assertClose(b, [-1.64756191, 0.03472000, 1.89951992, -0.24576001])
        assertClose(c, [-0.87901241, -0.60687256, -0.21495001, -0.17103712, -0.11087969, -0.062072754, 0.15775,
                         0.072348244, 0.65725315, 0.48272705, 0.53044999, -0.44404095, -0.81450623, -0.31549072,
                         -0.22325, 0.013170312, -0.046373438, 0.22930908, 0.14944999, 0.25655568, 0.72175938,
                         0.77410895, -0.60425001, -0.25983351, -0.75, -0.29309082, 0.0083000073, -0.016448146,
                         0.31956017, 0.25170898, 0.38099998, 0.2269372, 1.0876929, -0.81549072, -0.37270001,
                         -0.28945196, -0.3840664])
    }

    func testMomentumSGDWithWeightDecayMatchesPyTorch() {
        let (a, b, c) = trajectory { SGD(parameters: $0, learningRate: 0.1, momentum: 0.9, weightDecay: 0.01) }
        assertClose(a, [0.03297106, 0.52173340, 0.89635277, -0.26529574, -0.66688389, 0.31618607])
        assertClose(b, [-1.18898642, -0.03593327, 0.50660586, 0.18772736])
        assertClose(c, [-0.40345234, -0.11255803, 0.43877593, 0.21801995, 0.065626375, -0.13895229, 0.044250324,
                         -0.43256772, 0.53470516, -0.16534649, -0.35027531, 0.50929201, -0.57359082, 0.22822414,
                         0.11561614, 0.32355779, -0.10451205, 0.20182987, -0.2789095, -0.32702991, 0.36456677,
                         0.17543562, 0.18698202, 0.61482978, -0.74372923, -0.033120316, 0.32315981, -0.035757966,
                         0.40467784, -0.059514567, -0.071365826, -0.68634576, 0.87375665, -0.26807052, 0.39452568,
                         0.255514, -0.23453939])
    }

    func testNesterovSGDMatchesPyTorch() {
        let (a, b, c) = trajectory { SGD(parameters: $0, learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01) }
        assertClose(a, [-0.04653785, 0.54099405, 0.61581975, -0.13023220, -0.77584809, 0.21088190])
        assertClose(b, [-0.98283738, -0.00124632, 0.08212023, 0.19629078])
        assertClose(c, [-0.18827082, 0.0021297997, 0.45169914, 0.14706622, 0.14585456, -0.15690967, 0.042013608,
                         -0.34041271, 0.47997999, -0.31594914, -0.36767194, 0.33544117, -0.46520311, 0.35464409,
                         0.12230849, 0.26687962, -0.13107766, 0.19560465, -0.28737706, -0.22059932, 0.2030478,
                         0.036565162, 0.20260336, 0.4552545, -0.74213529, 0.027216494, 0.32939067, -0.032224413,
                         0.44399494, -0.13182296, -0.080294862, -0.51970339, 0.77812034, -0.14117165, 0.40968555,
                         0.15615053, -0.1670627])
    }

    /// Step 1 of bias-corrected Adam moves every coordinate by exactly `lr` (m̂/√v̂ = ±1);
    /// without the correction it would move by `lr · 0.1/√0.001 ≈ 3.16 lr`.
    func testAdamFirstStepIsLearningRateTimesSign() {
        let (a, b, _) = trajectory(steps: 1) { Adam(parameters: $0, learningRate: 0.01) }
        assertClose(a, [0.49, -1.24, 1.99, 0.74, -0.31, 1.49])
        assertClose(b, [-1.99, 0.09, 2.99, -0.59])
    }

    func testAdamMatchesPyTorch() {
        let (a, b, c) = trajectory { Adam(parameters: $0, learningRate: 0.01) }
        assertClose(a, [0.46004149, -1.21001756, 1.96000898, 0.71004027, -0.33998626, 1.46002173])
        assertClose(b, [-1.96001232, 0.06062306, 2.96000695, -0.56004149])
        assertClose(c, [-1.2100116, -0.96002525, -0.71002662, -0.46005651, -0.21003255, -0.039780106, 0.21020806,
                         0.46004221, 0.71005082, 0.96001887, 1.2100195, -1.2100214, -0.96002394, -0.71002275,
                         -0.46005458, -0.21007289, -0.039886154, 0.21129155, 0.460042, 0.7100361, 0.96001565, 1.2100207,
                         -1.2100217, -0.9600234, -0.75, -0.46005082, -0.21005899, -0.032993019, 0.28992963, 0.46004149,
                         0.71003968, 0.96002233, 1.2100276, -1.2100228, -0.96002251, -0.7100389, -0.46003971])
    }

    /// A large ε makes its place (outside √, after the bias correction) and the L2 term visible.
    func testAdamWithL2DecayAndLargeEpsilonMatchesPyTorch() {
        let (a, b, c) = trajectory {
            Adam(parameters: $0, learningRate: 0.01, beta1: 0.8, beta2: 0.95, epsilon: 0.05, weightDecay: 0.1)
        }
        assertClose(a, [0.46294704, -1.21072686, 1.96130812, 0.71108472, -0.33545467, 1.46112025])
        assertClose(b, [-1.96169078, 0.06656785, 2.96057606, -0.56160575])
        assertClose(c, [-1.2117269, -0.96154392, -0.71108133, -0.46158665, -0.21453169, -0.031072136, 0.21557181,
                         0.46123713, 0.71544564, 0.96120387, 1.2108002, -1.2106549, -0.96312994, -0.71143574,
                         -0.46203387, -0.21200125, -0.028248688, 0.22559214, 0.4616341, 0.71106499, 0.96225691,
                         1.211279, -1.2108854, -0.96071619, -0.72648728, -0.462865, -0.21222429, -0.01914951,
                         0.28033987, 0.46243918, 0.7115289, 0.9606871, 1.2133228, -1.2113873, -0.9609198, -0.71113694,
                         -0.4649469])
    }

    func testAdamWDecoupledDecayMatchesPyTorch() {
        let (a, b, c) = trajectory {
            AdamW(parameters: $0, learningRate: 0.01, beta1: 0.8, beta2: 0.95, epsilon: 0.05, weightDecay: 0.1)
        }
        assertClose(a, [0.46123013, -1.20582879, 1.95357227, 0.70819438, -0.33450574, 1.45529056])
        assertClose(b, [-1.95409966, 0.06640429, 2.94870925, -0.55934602])
        assertClose(c, [-1.2069963, -0.95773435, -0.70818949, -0.45971113, -0.21384071, -0.031066436, 0.21501185,
                         0.45933691, 0.71386003, 0.95734388, 1.2059097, -1.2057513, -0.95975804, -0.70857745,
                         -0.46019858, -0.21110681, -0.028262135, 0.22806345, 0.45976165, 0.70817268, 0.95859939,
                         1.2064548, -1.2060045, -0.95680916, -0.74725527, -0.46113542, -0.21134052, -0.01924956,
                         0.28036293, 0.46065006, 0.7086826, 0.95677781, 1.2092379, -1.2065829, -0.95702916, -0.70825064,
                         -0.46367523])
    }

    /// A parameter without a gradient is skipped, and its bias correction counts only its own
    /// updates (PyTorch's per-parameter `step`).
    func testAdamSkipsMissingGradientAndCountsStepsPerParameter() {
        let (a, b, _) = trajectory(skipB: 2) { Adam(parameters: $0, learningRate: 0.01) }
        assertClose(a, [0.46004149, -1.21001756, 1.96000898, 0.71004027, -0.33998626, 1.46002173])
        assertClose(b, [-1.97000527, 0.07024567, 2.97000289, -0.57001746])
    }

    func testOptimizersMinimiseAQuadratic() {
        // f(p) = ½ Σ c_i (p_i − t_i)², minimum 0 at p = t; ill-conditioned (c from 0.5 to 8).
        let c: [Float] = (0..<37).map { 0.5 + 7.5 * Float($0) / 36 }
        let target: [Float] = (0..<37).map { sin(Float($0)) }
        let makers: [(String, ([Tensor]) -> Optimizer, Int)] = [
            ("SGD", { SGD(parameters: $0, learningRate: 0.1, momentum: 0.9) }, 300),
            ("Nesterov", { SGD(parameters: $0, learningRate: 0.1, momentum: 0.9, nesterov: true) }, 300),
            ("Adam", { Adam(parameters: $0, learningRate: 0.05) }, 1500),
            ("AdamW", { AdamW(parameters: $0, learningRate: 0.05, weightDecay: 0) }, 1500),
        ]
        for (name, make, steps) in makers {
            let p = Tensor(shape: [37], repeating: 3, requiresGrad: true)
            let optimizer = make([p])
            var loss: Float = 0
            for _ in 0..<steps {
                p.grad = Tensor(shape: [37], scalars: (0..<37).map { c[$0] * (p.data[$0] - target[$0]) })
                optimizer.step()
                loss = (0..<37).reduce(0) { $0 + 0.5 * c[$1] * (p.data[$1] - target[$1]) * (p.data[$1] - target[$1]) }
            }
            XCTAssertLessThan(loss, 1e-6, "\(name) left the loss at \(loss)")
        }
    }

    func testStateRoundTripResumesExactly() throws {
        let run = { (optimizer: Optimizer, p: Tensor) in
            p.grad = Tensor(shape: p.shape, scalars: p.scalars.map { 2 * $0 - 1 })
            optimizer.step()
        }
        let p1 = Tensor(shape: [19], scalars: (0..<19).map { Float($0) / 7 }), p2 = p1.copy()
        let first = Adam(parameters: [p1], learningRate: 0.1)
        for _ in 0..<3 { run(first, p1) }
        p2.data.update(from: p1.data, count: 19)
        let resumed = Adam(parameters: [p2], learningRate: 0.1)
        let saved = first.state
        XCTAssertEqual(Set(saved.tensors.keys), ["exp_avg.0", "exp_avg_sq.0"])
        XCTAssertEqual(saved.counters, ["step": 3, "step.0": 3])
        try resumed.load(OptimizerState(tensors: saved.tensors.mapValues { $0.copy() }, counters: saved.counters))
        XCTAssertEqual(resumed.stepCount, 3)
        for _ in 0..<2 { run(first, p1); run(resumed, p2) }
        XCTAssertEqual(p1.scalars, p2.scalars)
    }

    func testLoadRejectsMismatchedState() {
        let sgd = SGD(parameters: [Tensor.zeros([2, 2])], learningRate: 0.1, momentum: 0.9)
        let good = sgd.state
        XCTAssertThrowsError(try sgd.load(OptimizerState(tensors: ["momentum_buffer.0": Tensor.zeros([4])], counters: ["step": 1]))) {
            XCTAssertEqual($0 as? OptimizerStateError, .shapeMismatch(key: "momentum_buffer.0", expected: [2, 2], found: [4]))
        }
        XCTAssertThrowsError(try sgd.load(OptimizerState(tensors: [:], counters: ["step": 1]))) {
            XCTAssertEqual($0 as? OptimizerStateError, .missingKey("momentum_buffer.0"))
        }
        var extra = good
        extra.tensors["exp_avg.0"] = Tensor.zeros([2, 2])
        XCTAssertThrowsError(try sgd.load(extra)) { XCTAssertEqual($0 as? OptimizerStateError, .unexpectedKey("exp_avg.0")) }
        XCTAssertThrowsError(try Adam(parameters: [Tensor.zeros([2, 2])]).load(good))
        XCTAssertNoThrow(try sgd.load(good))
    }

    // MARK: Clipping

    func testClipGradientNormScalesLikePyTorch() {
        let a = Tensor.zeros([2, 2], requiresGrad: true), b = Tensor.zeros([3], requiresGrad: true)
        let c = Tensor.zeros([5], requiresGrad: true)  // no gradient: skipped
        a.grad = Tensor(shape: [2, 2], scalars: [3, -4, 1, 2])
        b.grad = Tensor(shape: [3], scalars: [0.5, -1.5, 2.5])
        let norm = clipGradientNorm([a, b, c], maxNorm: 1)
        XCTAssertEqual(norm, 6.22495031, accuracy: 1e-6)  // √38.75
        assertClose(a.grad?.scalars ?? [], [0.48193151, -0.64257532, 0.16064383, 0.32128766])
        assertClose(b.grad?.scalars ?? [], [0.08032192, -0.24096575, 0.40160957])
        XCTAssertNil(c.grad)
        // The clipped norm is maxNorm up to the 1e-6 guard.
        let after = clipGradientNorm([a, b], maxNorm: 100)
        XCTAssertEqual(after, 1, accuracy: 1e-6)
    }

    func testClipGradientNormLeavesSmallGradientsAlone() {
        let a = Tensor.zeros([40])
        a.grad = Tensor(shape: [40], scalars: (0..<40).map { Float($0 % 7) - 3 })
        let before = a.grad?.scalars ?? []
        let norm = clipGradientNorm([a], maxNorm: 100)
        XCTAssertEqual(norm, before.reduce(0) { $0 + $1 * $1 }.squareRoot(), accuracy: 1e-5)
        XCTAssertEqual(a.grad?.scalars, before)
    }

    // MARK: Schedules

    func testConstantAndStepDecaySchedules() {
        XCTAssertEqual(ConstantSchedule(0.3).learningRate(at: 1), 0.3)
        XCTAssertEqual(ConstantSchedule(0.3).learningRate(at: 10_000), 0.3)
        let decay = StepDecaySchedule(initialRate: 1, decayFactor: 0.5, stepSize: 3)
        XCTAssertEqual((1...10).map { decay.learningRate(at: $0) }, [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125])
    }

    func testNoamScheduleMatchesThePaperFormula() {
        // D = 512, warmup 4000: 512^-½·min(s^-½, s·4000^-1.5).
        let noam = NoamSchedule(modelWidth: 512, warmupSteps: 4000)
        XCTAssertEqual(noam.learningRate(at: 1), 1.746928e-7, accuracy: 1e-12)      // 1/(√512·4000^1.5)
        XCTAssertEqual(noam.learningRate(at: 2000), 3.493856e-4, accuracy: 1e-9)    // linear: half the peak
        XCTAssertEqual(noam.learningRate(at: 4000), 6.987712e-4, accuracy: 1e-9)    // peak 1/√(512·4000)
        XCTAssertEqual(noam.learningRate(at: 16000), 3.493856e-4, accuracy: 1e-9)   // ∝ 1/√step
        let factor2 = NoamSchedule(modelWidth: 512, warmupSteps: 4000, factor: 2)
        XCTAssertEqual(factor2.learningRate(at: 100), 2 * noam.learningRate(at: 100), accuracy: 1e-12)
    }

    func testNoamPeakForm() {
        let noam = NoamSchedule(peakRate: 1e-3, warmupSteps: 100)
        XCTAssertEqual(noam.learningRate(at: 1), 1e-5, accuracy: 1e-10)
        XCTAssertEqual(noam.learningRate(at: 50), 5e-4, accuracy: 1e-9)
        XCTAssertEqual(noam.learningRate(at: 100), 1e-3, accuracy: 1e-9)
        XCTAssertEqual(noam.learningRate(at: 400), 5e-4, accuracy: 1e-9)
        XCTAssertEqual(noam.learningRate(at: 10_000), 1e-4, accuracy: 1e-9)
    }

    func testStepFollowingScheduleUsesTheComingStep() {
        let p = Tensor(shape: [1], scalars: [0])
        let sgd = SGD(parameters: [p], learningRate: 123)
        let schedule = StepDecaySchedule(initialRate: 1, decayFactor: 0.1, stepSize: 1)
        var rates: [Float] = []
        for _ in 0..<3 {
            p.grad = Tensor(shape: [1], scalars: [0])
            sgd.step(following: schedule)
            rates.append(sgd.learningRate)
        }
        XCTAssertEqual(rates[0], 1)
        XCTAssertEqual(rates[1], 0.1, accuracy: 1e-8)
        XCTAssertEqual(rates[2], 0.01, accuracy: 1e-9)
    }
}
