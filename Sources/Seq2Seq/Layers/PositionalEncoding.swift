import Autograd
import Foundation

/// The sinusoidal position table of Vaswani et al. 2017, §3.5:
///
///     PE(p, 2i) = sin(p / 10000^{2i/D}),  PE(p, 2i+1) = cos(p / 10000^{2i/D})
public enum SinusoidalPositions {
    /// - Returns: `[count, width]`, rows for positions `0 ..< count`.
    public static func table(count: Int, width: Int) -> Tensor {
        let table = Tensor.zeros([count, width])
        for p in 0..<count {
            for i in stride(from: 0, to: width, by: 2) {
                let angle = Double(p) / Foundation.pow(10000, Double(i) / Double(width))
                table.data[p * width + i] = Float(Foundation.sin(angle))
                if i + 1 < width { table.data[p * width + i + 1] = Float(Foundation.cos(angle)) }
            }
        }
        return table
    }
}
