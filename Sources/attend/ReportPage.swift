import Foundation
import Seq2Seq

/// The `attend report` page: one self-contained HTML document (well-formed XML as well, so that
/// it can be checked) with inline SVG charts and heatmaps, an inline script for the sliders,
/// and no reference to anything outside it.
enum ReportPage {
    static func html(_ records: RunRecords, title: String) -> String {
        var body = "<h1>\(escaped(title))</h1>\n<p class=\"status\">\(escaped(status(records)))</p>\n"
        body += evaluations(records)
        body += "<h2>Training</h2>\n<div class=\"charts\">\n" + charts(records).joined() + "</div>\n"
        body += attention(records)
        body += settings(records)
        body += "<p class=\"muted\">Written by attend report from \(escaped(records.folder.path)); run it again to see the latest.</p>\n"
        return """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title>\(escaped(title))</title>
        <style>\(style)</style>
        </head>
        <body>
        \(body)\(script(records))
        </body>
        </html>

        """
    }

    private static func status(_ records: RunRecords) -> String {
        guard let last = records.steps.last else { return records.isTraining ? "Training has started; no step is logged yet." : "No step is logged." }
        let skipped = records.steps.filter { !$0.loss.isFinite }.count
        return (records.isTraining ? "Training in progress: " : "Not training now: ")
            + "step \(last.step), \(ProgressPrinter.clock(last.elapsed)) of training, \(records.validations.count) validations"
            + (skipped > 0 ? ", \(skipped) batches skipped for a non-finite loss" : "") + "."
    }

    private static func evaluations(_ records: RunRecords) -> String {
        guard !records.evaluations.isEmpty else {
            return "<p class=\"muted\">No test figures yet: <code>attend eval --model \(escaped(records.folder.path))/best.safetensors --data DIR --json &gt; \(escaped(records.folder.path))/eval.json</code> puts them here.</p>\n"
        }
        var html = "<h2>Test</h2>\n<table class=\"figures\">\n"
        for evaluation in records.evaluations {
            html += "<tr><th>\(escaped(evaluation.name))</th>" + evaluation.figures.map { "<td>\(escaped($0.label)) <b>\(escaped($0.value))</b></td>" }.joined() + "</tr>\n"
        }
        return html + "</table>\n"
    }

    /// Training loss and dev loss, dev perplexity, BLEU, exact match, AER, learning rate, tokens/s.
    private static func charts(_ records: RunRecords) -> [String] {
        let time = { (step: Double) in records.elapsed(atStep: Int(step)) }
        let buckets = bucketed(records.steps, count: 300)
        let trainLoss = buckets.map { bucket -> (x: Double, y: Double) in
            let finite = bucket.map(\.loss).filter(\.isFinite)
            return (Double(bucket.last?.step ?? 0), finite.isEmpty ? .nan : finite.reduce(0, +) / Double(finite.count))
        }
        // Each step's tokens over its time, the median of a group: the time of a validation
        // falls on one step of its group and does not count.
        let rates = zip(records.steps.dropFirst(), records.steps).map { step, previous in
            step.elapsed > previous.elapsed ? Double(step.tokens) / (step.elapsed - previous.elapsed) : .nan
        }
        let speed = stride(from: 0, to: rates.count, by: Swift.max(1, rates.count / 150)).map { start -> (x: Double, y: Double) in
            let group = rates[start..<Swift.min(start + Swift.max(1, rates.count / 150), rates.count)].filter(\.isFinite).sorted()
            return (Double(records.steps[Swift.min(start + 1, records.steps.count - 1)].step), group.isEmpty ? .nan : group[group.count / 2])
        }
        let rate = buckets.map { (x: Double($0.last?.step ?? 0), y: $0.last?.learningRate ?? .nan) }
        func dev(_ value: (RunRecords.Validation) -> Double) -> [(x: Double, y: Double)] {
            records.validations.map { (Double($0.step), value($0)) }
        }
        let blue = "#2166ac", orange = "#e08214"
        return [
            LineChart(title: "loss (nats per target token)", series: [.init(name: "training", color: blue, points: trainLoss),
                                                                      .init(name: "dev", color: orange, points: dev(\.loss), dots: true)], timeAt: time),
            LineChart(title: "dev perplexity", series: [.init(name: "dev", color: orange, points: dev(\.perplexity), dots: true)], timeAt: time),
            LineChart(title: "dev BLEU", series: [.init(name: "dev", color: orange, points: dev(\.bleu), dots: true)], timeAt: time),
            LineChart(title: "dev exact match (%)", series: [.init(name: "dev", color: orange, points: dev(\.exact), dots: true)], timeAt: time),
            LineChart(title: "dev alignment error rate (AER)" + (records.alignments.isEmpty ? ": no dev.align" : ""),
                      series: [.init(name: "AER", color: "#762a83", points: records.alignments.map { (Double($0.step), $0.aer) }, dots: true)], timeAt: time),
            LineChart(title: "learning rate", series: [.init(name: "rate", color: blue, points: rate)], timeAt: time),
            LineChart(title: "target tokens per second (median of steps)", series: [.init(name: "tok/s", color: blue, points: speed)], timeAt: time),
        ].map { $0.svg() }
    }

    /// The rows in at most `count` consecutive groups of equal size.
    private static func bucketed(_ steps: [RunRecords.Step], count: Int) -> [ArraySlice<RunRecords.Step>] {
        let size = Swift.max(1, (steps.count + count - 1) / count)
        return stride(from: 0, to: steps.count, by: size).map { steps[$0..<Swift.min($0 + size, steps.count)] }
    }

    /// Each probe: the latest validation's heatmap with a slider over every validation, and a
    /// strip of small multiples at up to 12 evenly spaced validations.
    private static func attention(_ records: RunRecords) -> String {
        var html = "<h2>Attention of the probes</h2>\n"
        guard let latest = records.probes.last else {
            return html + "<p class=\"muted\">No probe attention recorded yet (it is written at every validation, for models with attention).</p>\n"
        }
        let frames = frames(records)
        for (p, attention) in latest.probes.enumerated() {
            let steps = frames[p].map(\.step)
            html += "<section class=\"probe\" id=\"probe-\(p)\">\n<h3>Probe \(p + 1): \(escaped(attention.source.dropLast().joined(separator: " ")))</h3>\n"
            html += "<p class=\"controls\"><input type=\"range\" class=\"step-slider\" data-probe=\"\(p)\" min=\"0\" max=\"\(steps.count - 1)\" "
                + "value=\"\(steps.count - 1)\" data-steps=\"\(steps.map(String.init).joined(separator: " "))\"/> "
                + "<button type=\"button\" class=\"play\" data-probe=\"\(p)\">play</button> "
                + "<span id=\"label-\(p)\">step \(latest.step) (epoch \(latest.epoch))</span></p>\n"
            html += "<div class=\"frame\">" + ProbeHeatmap.large(probe: p, attention).svg() + "</div>\n<div class=\"strip\">\n"
            let chosen = evenlySpaced(records.probes.count, at: 12)
            for index in chosen where p < records.probes[index].probes.count {
                let record = records.probes[index]
                html += "<figure>" + ProbeHeatmap.small(probe: p, record.probes[p]).svg() + "<figcaption>step \(record.step)</figcaption></figure>\n"
            }
            html += "</div>\n</section>\n"
        }
        return html
    }

    /// Per probe of the latest record, every record's matrix of the same shape, in step order.
    private static func frames(_ records: RunRecords) -> [[Frame]] {
        guard let latest = records.probes.last else { return [] }
        return latest.probes.indices.map { p in
            records.probes.compactMap { record in
                guard p < record.probes.count, record.probes[p].source == latest.probes[p].source,
                      record.probes[p].target == latest.probes[p].target else { return nil }
                return Frame(step: record.step, epoch: record.epoch, weights: record.probes[p].weights)
            }
        }
    }

    private struct Frame: Encodable { var step: Int, epoch: Int, weights: [[Float]] }
    private struct ScriptData: Encodable { var palette: [String], probes: [[Frame]] }

    /// `count` indices spread from the first to the last of `total`.
    private static func evenlySpaced(_ total: Int, at count: Int) -> [Int] {
        guard total > count else { return Array(0..<total) }
        return Array(Set((0..<count).map { Int((Double($0) * Double(total - 1) / Double(count - 1)).rounded()) })).sorted()
    }

    private static func settings(_ records: RunRecords) -> String {
        var html = "<h2>Settings (run.json)</h2>\n<table class=\"settings\">\n"
        for (key, value) in records.settings { html += "<tr><th>\(escaped(key))</th><td>\(escaped(value))</td></tr>\n" }
        return html + "</table>\n"
    }

    /// The frames as JSON (with `<`, `>` and `&` as `\u` escapes, so the text cannot end the
    /// script or break XML) and the slider code.
    private static func script(_ records: RunRecords) -> String {
        let data = (try? JSONEncoder().encode(ScriptData(palette: ProbeHeatmap.palette, probes: frames(records)))) ?? Data("{}".utf8)
        let json = String(decoding: data, as: UTF8.self).replacingOccurrences(of: "<", with: "\\u003c")
            .replacingOccurrences(of: ">", with: "\\u003e").replacingOccurrences(of: "&", with: "\\u0026")
        return "<script type=\"application/json\" id=\"probe-data\">\(json)</script>\n<script>//<![CDATA[\n\(sliderCode)\n//]]></script>"
    }

    private static let sliderCode = """
    (function () {
      var data = JSON.parse(document.getElementById('probe-data').textContent);
      function show(p, index) {
        var frame = data.probes[p][index];
        if (!frame) return;
        document.getElementById('label-' + p).textContent = 'step ' + frame.step + ' (epoch ' + frame.epoch + ')';
        frame.weights.forEach(function (row, i) {
          row.forEach(function (w, j) {
            var cell = document.getElementById('p' + p + '-' + i + '-' + j);
            if (cell) cell.setAttribute('fill', data.palette[Math.max(0, Math.min(100, Math.round(w * 100)))]);
          });
        });
      }
      document.querySelectorAll('input.step-slider').forEach(function (slider) {
        slider.addEventListener('input', function () { show(+slider.dataset.probe, +slider.value); });
      });
      document.querySelectorAll('button.play').forEach(function (button) {
        button.addEventListener('click', function () {
          var p = +button.dataset.probe, slider = document.querySelector('input.step-slider[data-probe="' + p + '"]'), i = 0;
          var timer = setInterval(function () {
            slider.value = i; show(p, i); i += 1;
            if (i > +slider.max) clearInterval(timer);
          }, 300);
        });
      });
    })();
    """

    private static let style = """
    body { font-family: "DejaVu Sans", Verdana, Helvetica, Arial, sans-serif; margin: 24px; color: #222; max-width: 1400px; }
    h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 18px; margin-top: 28px; } h3 { font-size: 15px; margin: 6px 0; }
    .status, .muted { color: #666; } .chart-title { font-size: 13px; font-weight: bold; fill: #222; }
    .charts { display: flex; flex-wrap: wrap; gap: 8px; } .chart { border: 1px solid #e4e4e4; background: #fff; }
    .plot { fill: #fafafa; stroke: #ccc; } .grid { stroke: #e8e8e8; } .axis { stroke: #999; }
    .tick { font-size: 10px; fill: #444; } text.muted { fill: #888; } .token { font-size: 11px; fill: #333; }
    .probe { border-top: 1px solid #ddd; padding-top: 8px; margin-top: 12px; } .step-slider { width: 320px; vertical-align: middle; }
    .strip { display: flex; flex-wrap: wrap; gap: 10px; align-items: flex-end; margin-top: 8px; }
    figure { margin: 0; text-align: center; } figcaption { font-size: 11px; color: #555; }
    .heatmap rect { stroke: #e4e4e4; stroke-width: 0.5; }
    table { border-collapse: collapse; font-size: 13px; } th, td { text-align: left; padding: 2px 10px 2px 0; } th { color: #555; font-weight: normal; }
    """
}
