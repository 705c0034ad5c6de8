import Foundation
import Seq2Seq

/// `attend report`: one self-contained HTML page of a run, finished or still training.
enum ReportCommand: Subcommand {
    static let name = "report"
    static let summary = "an HTML page of a run: settings, curves, the probes' attention at every validation"
    static var usage: String {
        """
        usage: attend report RUN_FOLDER [--out FILE]

        \(OptionHelp.lines(Settings.options, defaults: Settings()))

        Reads what the run folder holds now (run.json, metrics.csv, validation.csv, alignment.csv,
        probes/, eval*.json), so it works while training runs. The page needs no network: inline SVG
        and an inline script for the sliders.
        """
    }

    struct Settings {
        var out: String?

        static let options: [Option<Settings>] = [
            .text("out", \.out, valueName: "FILE", unset: "RUN_FOLDER/report.html", help: "where to write the page"),
        ]
    }

    static func run(_ arguments: inout Arguments) throws {
        var settings = Settings()
        try arguments.read(Settings.options, into: &settings)
        guard let folderPath = arguments.positional() else { throw CommandError.usage("name the run folder: attend report RUN_FOLDER") }
        try arguments.finish()
        let folder = URL(fileURLWithPath: folderPath)
        let records = try RunRecords(folder: folder)
        let page = ReportPage.html(records, title: "Attend run \(folder.standardizedFileURL.lastPathComponent)")
        let out = URL(fileURLWithPath: settings.out ?? folder.appendingPathComponent("report.html").path)
        do { try AtomicFile.write(Data(page.utf8), to: out) } catch { throw CommandError.failure("\(error)") }
        standardError("attend: wrote \(out.path) (\(records.steps.count) steps, \(records.validations.count) validations, "
                      + "\(records.probes.first?.probes.count ?? 0) probes)")
    }
}
