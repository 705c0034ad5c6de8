// What coverage is for (Tu et al. 2016; See et al. 2017): over- and under-translation.
//
//     swift Scripts/repeats-and-drops.swift --hyp HYP --src SRC --ref REF --train-src FILE --train-tgt FILE
//
// prints, over the test sentences (one per line, tokens separated by spaces):
//
// - repeated word: the share of translations with a word twice in a row ("le le") where the
//   reference does not repeat that word in a row (French repeats some, "nous nous");
// - dropped content word: the share of translations that lack the translation of a source
//   content word. A source word that is not an English function word (the list below) is judged
//   when its translation is in the reference, and dropped when that translation is not in the
//   hypothesis: left out, or translated by another word (text alone cannot tell the two apart;
//   the model's own attention could, but coverage changes exactly that attention, so it would
//   not compare models fairly). A word's translation is the target word that co-occurs with it
//   most often relative to both words' frequencies in the training pairs, by the Dice
//   coefficient 2·c(e, f) / (c(e) + c(f)) over sentences, if that is at least 0.3 (words
//   without so clear a translation are not judged).
//
// Deterministic (ties go to the target word first in sorted order); no dependencies.
import Foundation

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    exit(1)
}

var options = [String: String]()
var arguments = Array(CommandLine.arguments.dropFirst())
while arguments.count >= 2, arguments[0].hasPrefix("--") {
    options[String(arguments[0].dropFirst(2))] = arguments[1]
    arguments.removeFirst(2)
}
let names = ["hyp", "src", "ref", "train-src", "train-tgt"]
guard arguments.isEmpty, names.allSatisfy({ options[$0] != nil }), Set(options.keys).isSubset(of: names) else {
    fail("usage: swift Scripts/repeats-and-drops.swift --hyp HYP --src SRC --ref REF --train-src FILE --train-tgt FILE")
}

func sentences(_ option: String) -> [[String]] {
    guard let path = options[option], let text = try? String(contentsOfFile: path, encoding: .utf8) else {
        fail("cannot read --\(option) \(options[option] ?? "")")
    }
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.split(separator: " ").map(String.init) }
    if text.hasSuffix("\n") { lines.removeLast() }
    return lines
}

let (hypotheses, sources, references) = (sentences("hyp"), sentences("src"), sentences("ref"))
let (trainSources, trainTargets) = (sentences("train-src"), sentences("train-tgt"))
guard hypotheses.count == sources.count, references.count == sources.count, trainSources.count == trainTargets.count else {
    fail("--hyp, --src and --ref need as many lines as each other, and so do --train-src and --train-tgt")
}

/// English function words (and the pieces a lowercased, apostrophe-split corpus leaves: "don t", "i m").
let functionWords: Set<String> = Set("""
    a an the and or but if then so than that this these those there here what which who whom whose when where why how
    i me my mine myself you your yours yourself we us our ours they them their theirs he him his she her hers it its itself
    am is are was were be been being have has had having do does did doing will would shall should can could may might must
    not no nor to of in on at by for with about from into onto over under up down out off as all any some each every both
    just very too also only again more most much many such own same other another s t m re ve ll d let lets
    . , ! ? ; : " ' -
    """.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))

// The translation of each source word by the Dice coefficient over training sentences.
var sourceCount = [String: Int](), targetCount = [String: Int]()
var sentencesWith = [String: [Int]]()
let targetSets = trainTargets.map(Set.init)
for (index, (source, target)) in zip(trainSources, targetSets).enumerated() {
    for word in Set(source) {
        sourceCount[word, default: 0] += 1
        sentencesWith[word, default: []].append(index)
    }
    for word in target { targetCount[word, default: 0] += 1 }
}
var translations = [String: String?]()
func translation(of word: String) -> String? {
    if let known = translations[word] { return known }
    var together = [String: Int]()
    for index in sentencesWith[word] ?? [] { for f in targetSets[index] { together[f, default: 0] += 1 } }
    let scored = together.map { f, c in (f, 2 * Double(c) / Double((sourceCount[word] ?? 0) + (targetCount[f] ?? 0))) }
    let best = scored.max { ($0.1, $1.0) < ($1.1, $0.0) }
    let result = best.flatMap { $0.1 >= 0.3 ? $0.0 : nil }
    translations[word] = .some(result)
    return result
}

var repeated = 0, dropping = 0, dropped = 0, judged = 0
for index in sources.indices {
    let (hypothesis, reference) = (hypotheses[index], references[index])
    let referencePairs = Set(zip(reference, reference.dropFirst()).filter { $0 == $1 }.map(\.0))
    if zip(hypothesis, hypothesis.dropFirst()).contains(where: { $0 == $1 && !referencePairs.contains($0) }) { repeated += 1 }
    let (hypothesisWords, referenceWords) = (Set(hypothesis), Set(reference))
    var left = 0
    for word in sources[index] where !functionWords.contains(word) {
        guard let f = translation(of: word), referenceWords.contains(f) else { continue }
        judged += 1
        if !hypothesisWords.contains(f) { left += 1 }
    }
    dropped += left
    if left > 0 { dropping += 1 }
}
func share(_ count: Int, _ total: Int) -> String { String(format: "%.1f%%", 100 * Double(count) / Double(max(total, 1))) }
print("sentences: \(sources.count)")
print("repeated word in a row (not in the reference): \(share(repeated, sources.count)) (\(repeated))")
print("dropped source content word: \(share(dropping, sources.count)) (\(dropping) sentences; \(dropped) of \(judged) judged words)")
