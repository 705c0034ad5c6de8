/// The sequential white → dark blue colour scale of the SVG heatmaps.
///
/// Piecewise-linear in sRGB through ColorBrewer's 9-class "Blues" (Brewer, colorbrewer2.org),
/// with its lightest stop replaced by pure white so that a weight of 0 is exactly the page
/// colour. The legend's gradient uses the same stops at the same offsets, so cell and legend
/// colours agree.
public struct HeatmapColorScale: Sendable {
    public init() {}

    /// The colours at weights `0, 1/8, 2/8, …, 1`, as `(red, green, blue)` in 0 … 255.
    static let stops: [(red: Double, green: Double, blue: Double)] = [
        (255, 255, 255), (222, 235, 247), (198, 219, 239), (158, 202, 225), (107, 174, 214),
        (66, 146, 198), (33, 113, 181), (8, 81, 156), (8, 48, 107),
    ]

    /// The fill for `weight`, clamped to `0 … 1`, as `#rrggbb`.
    public func color(for weight: Float) -> String {
        let clamped = min(max(Double(weight), 0), 1)
        let position = clamped * Double(Self.stops.count - 1)
        let lower = min(Int(position), Self.stops.count - 2)
        let fraction = position - Double(lower)
        let from = Self.stops[lower], to = Self.stops[lower + 1]
        return Self.hex(
            red: from.red + (to.red - from.red) * fraction,
            green: from.green + (to.green - from.green) * fraction,
            blue: from.blue + (to.blue - from.blue) * fraction)
    }

    /// Whether text drawn over `weight`'s colour should be white rather than dark.
    public func prefersLightText(over weight: Float) -> Bool { weight > 0.55 }

    /// The legend's gradient stops: `(offset in 0 … 1, #rrggbb)`.
    var gradientStops: [(offset: Double, color: String)] {
        Self.stops.enumerated().map { index, stop in
            (Double(index) / Double(Self.stops.count - 1), Self.hex(red: stop.red, green: stop.green, blue: stop.blue))
        }
    }

    private static func hex(red: Double, green: Double, blue: Double) -> String {
        let digits = Array("0123456789abcdef")
        var text = "#"
        for channel in [red, green, blue] {
            let value = min(max(Int(channel.rounded()), 0), 255)
            text.append(digits[value / 16])
            text.append(digits[value % 16])
        }
        return text
    }
}
