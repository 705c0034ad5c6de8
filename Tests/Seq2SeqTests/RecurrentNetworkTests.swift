import Autograd
import Seq2Seq
import XCTest

/// `RecurrentNetwork` against PyTorch's `nn.GRU` / `nn.LSTM` / `nn.RNN` with packed padded
/// sequences, on weights and inputs both sides fill from the same formula
/// (`p_i = 0.3 sin(1.3 i + 0.7 k)` for the k-th parameter, `x_i = cos(0.5 i)`).
final class RecurrentNetworkTests: XCTestCase {
    let (steps, batch, inputSize, width) = (5, 2, 3, 4)

    func testBidirectionalTwoLayerGRUWithPaddingMatchesPyTorch() {
        let (outputs, finals) = run(.gru, layers: 2, bidirectional: true, lengths: [5, 3])
        let expectedOut: [Float] = [-0.226708, 0.010313, 0.219564, 0.026646, 0.508991, 0.005018, -0.557814, -0.232669, -0.246137, 0.046746, 0.189158, 0.011369, 0.450062, -0.033452, -0.448478, -0.171883, -0.338622, 0.019537, 0.291572, 0.047909, 0.454139, 0.01148, -0.496226, -0.25342, -0.359529, 0.051839, 0.267633, 0.035321, 0.343035, -0.00136, -0.347961, -0.162662, -0.366704, 0.005807, 0.32169, 0.075983, 0.385285, 0.050006, -0.433854, -0.248967, -0.402237, 0.077036, 0.269983, 0.061818, 0.191488, -0.004768, -0.189913, -0.116252, -0.371626, 0.020817, 0.309216, 0.09768, 0.287859, 0.049739, -0.32602, -0.2205, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -0.339456, 0.018041, 0.288482, 0.144426, 0.153062, 0.06957, -0.196171, -0.150177, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
        let expectedFinal: [Float] = [0.037412, 0.205738, 0.356593, -0.028134, -0.175708, 0.206101, 0.359103, -0.163009, 0.290991, 0.031514, -0.486748, -0.045075, 0.442871, -0.27207, -0.436598, 0.046881, -0.339456, 0.018041, 0.288482, 0.144426, -0.402237, 0.077036, 0.269983, 0.061818, 0.508991, 0.005018, -0.557814, -0.232669, 0.450062, -0.033452, -0.448478, -0.171883]
        assertRealSteps(outputs, expectedOut, lengths: [5, 3])
        assertClose(finals, expectedFinal)
    }

    func testBidirectionalLSTMMatchesPyTorch() {
        let (outputs, finals) = run(.lstm, layers: 1, bidirectional: true, lengths: [5, 5])
        let expectedOut: [Float] = [0.011321, 0.006461, 0.147476, -0.060593, 0.160248, -0.020617, -0.29442, 0.003914, -0.114288, 0.111299, 0.128717, -0.099579, 0.194086, -0.184269, -0.23673, 0.029441, -0.104595, 0.153872, 0.134316, -0.064847, 0.190579, -0.153363, -0.128896, -0.047413, -0.036458, 0.164736, 0.122864, -0.005736, 0.140091, -0.10654, -0.218997, -0.017787, -0.000653, 0.165624, 0.175655, -0.067871, 0.13318, 0.001779, -0.268483, 0.005218, -0.123349, 0.180996, 0.177638, -0.101729, 0.174198, -0.150195, -0.22861, 0.043223, -0.134449, 0.195617, 0.153587, -0.081329, 0.158647, -0.123719, -0.09823, -0.021204, -0.068426, 0.211481, 0.14335, -0.012528, 0.112081, -0.103307, -0.149891, -0.010157, 0.004104, 0.214874, 0.173503, -0.052687, 0.015024, 0.037631, -0.179088, 0.007829, -0.113128, 0.205965, 0.187462, -0.103345, 0.113248, -0.064637, -0.15254, 0.057392]
        assertClose(outputs.scalars, expectedOut)
        assertClose(finals, [0.004104, 0.214874, 0.173503, -0.052687, -0.113128, 0.205965, 0.187462, -0.103345, 0.160248, -0.020617, -0.29442, 0.003914, 0.194086, -0.184269, -0.23673, 0.029441])
    }

    func testElmanRNNWithPaddingMatchesPyTorch() {
        let (outputs, finals) = run(.rnn, layers: 1, bidirectional: false, lengths: [4, 5])
        let expectedOut: [Float] = [0.712299, -0.338591, -0.270708, -0.283546, 0.300806, 0.095258, -0.333448, -0.564419, 0.314426, 0.26143, -0.791522, -0.484393, 0.767555, 0.036702, -0.775598, -0.279855, 0.8531, -0.435049, -0.634882, -0.452271, 0.603047, -0.247393, -0.654898, -0.686817, 0.334292, 0.146978, -0.827685, -0.578562, 0.723723, -0.028217, -0.853443, -0.311925, 0.0, 0.0, 0.0, 0.0, 0.666702, -0.369965, -0.638067, -0.649648]
        assertRealSteps(outputs, expectedOut, lengths: [4, 5])
        assertClose(finals, [0.334292, 0.146978, -0.827685, -0.578562, 0.666702, -0.369965, -0.638067, -0.649648])
    }

    func testParameterNamesFollowPyTorch() {
        var generator = SeededGenerator(seed: 1)
        let network = RecurrentNetwork(kind: .gru, inputSize: 3, width: 4, layers: 2, bidirectional: true, generator: &generator)
        XCTAssertEqual(network.namedParameters.map(\.name),
                       ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                        "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
                        "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1",
                        "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse"])
        XCTAssertEqual(network.namedParameters[8].tensor.shape, [12, 8])
    }

    // MARK: - Helpers

    private func run(_ kind: CellKind, layers: Int, bidirectional: Bool, lengths: [Int]) -> (Tensor, [Float]) {
        var generator = SeededGenerator(seed: 1)
        let network = RecurrentNetwork(kind: kind, inputSize: inputSize, width: width, layers: layers,
                                       bidirectional: bidirectional, generator: &generator)
        for (k, parameter) in network.parameters.enumerated() {
            for i in 0..<parameter.count { parameter.data[i] = 0.3 * Foundation.sin(1.3 * Float(i) + 0.7 * Float(k)) }
        }
        let x = Tensor(shape: [steps, batch, inputSize], scalars: (0..<(steps * batch * inputSize)).map { Foundation.cos(0.5 * Float($0)) })
        let masks = (0..<steps).map { t in Tensor(shape: [batch, 1], scalars: lengths.map { t < $0 ? 1 : 0 }) }
        var context = ForwardContext.inference
        let (outputs, finals) = network(x, mask: masks, context: &context)
        return (outputs, finals.flatMap(\.hidden.scalars))
    }

    /// Compares `[S, B, W]` outputs at the real (unpadded) steps only.
    private func assertRealSteps(_ outputs: Tensor, _ expected: [Float], lengths: [Int], file: StaticString = #filePath, line: UInt = #line) {
        let columns = outputs.shape[2]
        for t in 0..<steps {
            for b in 0..<batch where t < lengths[b] {
                let start = (t * batch + b) * columns
                assertClose(Array(outputs.scalars[start..<(start + columns)]), Array(expected[start..<(start + columns)]),
                            file: file, line: line)
            }
        }
    }
}

func assertClose(_ actual: [Float], _ expected: [Float], tolerance: Float = 2e-5,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, "element counts", file: file, line: line)
    for (i, (a, e)) in zip(actual, expected).enumerated() where !(abs(a - e) <= tolerance * Swift.max(1, abs(e))) {
        XCTFail("element \(i): \(a) vs expected \(e)", file: file, line: line)
        return
    }
}
