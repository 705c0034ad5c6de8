import Foundation

/// Writes attention weights as decimal text with exactly six decimals, `0.123457`, in a way
/// that keeps the promise "each row sums to 1" true of the *printed* numbers.
///
/// Rounding each weight on its own does not: three weights of 1/3 print as `0.333333` three
/// times, which sums to `0.999999`. So a row that is a probability distribution (no negative
/// weight, sum within ``distributionTolerance`` of 1, which absorbs Float32 softmax error) is
/// printed by largest-remainder rounding: the row is renormalised to sum exactly 1, each weight
/// is floored to millionths, and the missing millionths go one each to the weights with the
/// largest remainders (ties to the lowest index). Every printed weight is then its exact value
/// rounded down or up, and the printed row sums to exactly `1.000000`.
///
/// Any other row (negative weights, or not summing to 1) is printed weight by weight, rounded
/// to nearest. Output never depends on the locale: the digits are built from integers, or by
/// `String(format:)`, which in Foundation uses no locale unless given one.
struct WeightFormatter {
    /// Number of decimals printed.
    static let decimals = 6
    /// `10^decimals`: weights are counted in millionths.
    static let scale: Int64 = 1_000_000
    /// How far from 1 a row's sum may be and still be printed as summing to exactly 1.
    static let distributionTolerance = 1e-4

    /// The weights of one row, `[S]`, as text: `"0.250000"`.
    func format<Weights: Collection>(row weights: Weights) -> [String] where Weights.Element == Float {
        let values = weights.map(Double.init)
        let sum = values.reduce(0, +)
        guard values.allSatisfy({ $0 >= 0 }), abs(sum - 1) <= Self.distributionTolerance, sum > 0 else {
            return values.map(Self.format(single:))
        }
        return Self.largestRemainder(values.map { $0 / sum }).map(Self.format(millionths:))
    }

    /// Apportions `Self.scale` millionths to `values` (non-negative, summing to 1).
    private static func largestRemainder(_ values: [Double]) -> [Int64] {
        let scaled = values.map { $0 * Double(scale) }
        var units = scaled.map { Int64($0.rounded(.down)) }
        var missing = scale - units.reduce(0, +)
        if missing > 0 {
            let remainders = scaled.indices.map { scaled[$0] - Double(units[$0]) }
            let order = scaled.indices.sorted {
                remainders[$0] != remainders[$1] ? remainders[$0] > remainders[$1] : $0 < $1
            }
            for index in order where missing > 0 {
                units[index] += 1
                missing -= 1
            }
        }
        return units
    }

    /// `millionths` (0 ... 1 000 000) as `"0.250000"`.
    private static func format(millionths: Int64) -> String {
        let fraction = String(millionths % scale)
        return "\(millionths / scale)." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }

    /// One weight on its own, rounded to nearest; never `-0.000000`.
    private static func format(single value: Double) -> String {
        let text = String(format: "%.\(decimals)f", value)
        return text == "-0.000000" ? "0.000000" : text
    }
}
