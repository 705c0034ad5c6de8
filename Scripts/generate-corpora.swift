// Generates the toy corpora in Data/: reverse, copy, sort and toy-translation.
//
//     swift Scripts/generate-corpora.swift [--out DIR]      (default: Data/ beside Scripts/)
//
// The output is byte-identical on every machine: all randomness comes from the SplitMix64
// generator below with fixed seeds (never the system generator), integer draws only (plus two
// exact IEEE comparisons), and files are written as UTF-8 with "\n" line ends.
//
// Files per corpus: {train,dev,test}.{src,tgt}, one sentence per line, tokens separated by one
// space; {train,dev,test}.align hold the gold word alignment in Pharaoh format ("i-j": 0-based
// source index i, target index j, sorted by i then j): train.align for guided alignment
// (`attend train --guided-alignment`), dev and test for scoring. toy-translation also writes
// {dev,test}.possible, its sure links plus the possible ones. Data/toy-translation/README.md
// documents the grammar.
import Foundation

// MARK: - Randomness

/// SplitMix64 (Steele, Lea & Flood 2014): tiny, fast, and the same on every platform.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<n (modulo bias is below 2⁻⁵⁸ for the n used here).
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    /// True with probability `p`.
    mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) * 0x1p-53 < p }

    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

// MARK: - Output

struct Link: Hashable, Comparable {
    var source: Int, target: Int
    static func < (a: Link, b: Link) -> Bool { (a.source, a.target) < (b.source, b.target) }
}

func pharaoh(_ links: [Link]) -> String {
    Set(links).sorted().map { "\($0.source)-\($0.target)" }.joined(separator: " ")
}

func write(_ lines: [String], to directory: URL, _ name: String) throws {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let text = lines.map { $0 + "\n" }.joined()
    try Data(text.utf8).write(to: directory.appendingPathComponent(name))
}

// MARK: - Algorithmic tasks (reverse, copy, sort)

/// Token values 0..<50, training lengths 1...25, dev and test lengths 1...30, as in JoeyNMT's
/// reverse task; the three tasks share their source sentences and differ only in the target.
let vocabularySize = 50
let splits: [(name: String, count: Int, maxLength: Int)] = [("train", 20_000, 25), ("dev", 1_000, 30), ("test", 1_000, 30)]

/// A task maps a source sequence to its target and the gold links (source index, target index).
typealias Task = (name: String, transform: ([Int]) -> (target: [Int], links: [Link]))

let tasks: [Task] = [
    ("reverse", { source in
        let n = source.count
        return (source.reversed(), (0..<n).map { Link(source: $0, target: n - 1 - $0) })
    }),
    ("copy", { source in (source, source.indices.map { Link(source: $0, target: $0) }) }),
    ("sort", { source in
        // A stable sort: the k-th occurrence of a value in the target comes from (and is aligned
        // to) the k-th occurrence of that value in the source.
        let order = source.indices.sorted { (source[$0], $0) < (source[$1], $1) }
        return (order.map { source[$0] }, order.enumerated().map { Link(source: $1, target: $0) })
    }),
]

func generateAlgorithmicTasks(into root: URL) throws {
    var random = SplitMix64(seed: 0x5EED_0A16_0000_0001)
    for split in splits {
        let sources: [[Int]] = (0..<split.count).map { _ in
            (0..<(1 + random.below(split.maxLength))).map { _ in random.below(vocabularySize) }
        }
        for task in tasks {
            let directory = root.appendingPathComponent(task.name)
            let results = sources.map(task.transform)
            try write(sources.map(sentence), to: directory, "\(split.name).src")
            try write(results.map { sentence($0.target) }, to: directory, "\(split.name).tgt")
            try write(results.map { pharaoh($0.links) }, to: directory, "\(split.name).align")
        }
    }
}

func sentence(_ tokens: [Int]) -> String { tokens.map(String.init).joined(separator: " ") }

// MARK: - toy-translation: an English fragment into an invented SOV language

struct Noun {
    var singular: String, plural: String
    var animate: Bool
    /// The target word(s); a plural adds "n" to the last one.
    var target: [String]
}

struct Verb {
    var thirdSingular: String, base: String
    /// The target stem, inflected -as (singular subject) / -an (plural subject); or, for a
    /// periphrastic verb, an invariant noun followed by the light verb fas / fan.
    var stem: String
    var periphrastic: Bool
    /// Allowed objects; empty for an intransitive verb.
    var objects: [Noun]
}

struct Preposition { var source: String, target: String, objects: [Noun] }

let animals: [Noun] = [
    Noun(singular: "man", plural: "men", animate: true, target: ["viro"]),
    Noun(singular: "woman", plural: "women", animate: true, target: ["sina"]),
    Noun(singular: "child", plural: "children", animate: true, target: ["kido"]),
    Noun(singular: "dog", plural: "dogs", animate: true, target: ["huno"]),
    Noun(singular: "cat", plural: "cats", animate: true, target: ["kato"]),
    Noun(singular: "bird", plural: "birds", animate: true, target: ["pipo"]),
    Noun(singular: "horse", plural: "horses", animate: true, target: ["ema"]),
    Noun(singular: "teacher", plural: "teachers", animate: true, target: ["lern", "homo"]),
    Noun(singular: "farmer", plural: "farmers", animate: true, target: ["kamp", "homo"]),
]
let things: [Noun] = [
    Noun(singular: "house", plural: "houses", animate: false, target: ["domo"]),
    Noun(singular: "tree", plural: "trees", animate: false, target: ["arbo"]),
    Noun(singular: "book", plural: "books", animate: false, target: ["libro"]),
    Noun(singular: "apple", plural: "apples", animate: false, target: ["pomo"]),
    Noun(singular: "cake", plural: "cakes", animate: false, target: ["kuko"]),
    Noun(singular: "river", plural: "rivers", animate: false, target: ["rivo"]),
    Noun(singular: "stone", plural: "stones", animate: false, target: ["petro"]),
    Noun(singular: "boat", plural: "boats", animate: false, target: ["barko"]),
    Noun(singular: "letter", plural: "letters", animate: false, target: ["letro"]),
    Noun(singular: "garden", plural: "gardens", animate: false, target: ["gardo"]),
    Noun(singular: "table", plural: "tables", animate: false, target: ["tablo"]),
]
let nouns = animals + things

/// The nouns whose English singular is in `names`.
func named(_ names: [String]) -> [Noun] { nouns.filter { names.contains($0.singular) } }

let adjectives: [(source: String, stem: String)] = [
    ("big", "grand"), ("small", "pik"), ("old", "vek"), ("young", "jun"), ("red", "rud"),
    ("black", "nigr"), ("white", "blank"), ("happy", "fel"), ("tall", "alt"), ("green", "verd"),
]

let transitiveVerbs: [Verb] = [
    Verb(thirdSingular: "sees", base: "see", stem: "vid", periphrastic: false, objects: nouns),
    Verb(thirdSingular: "likes", base: "like", stem: "am", periphrastic: false, objects: nouns),
    Verb(thirdSingular: "finds", base: "find", stem: "trov", periphrastic: false, objects: nouns),
    Verb(thirdSingular: "follows", base: "follow", stem: "sekv", periphrastic: false, objects: animals),
    Verb(thirdSingular: "carries", base: "carry", stem: "port", periphrastic: false,
         objects: named(["book", "apple", "cake", "stone", "letter", "table"])),
    Verb(thirdSingular: "eats", base: "eat", stem: "manj", periphrastic: false, objects: named(["apple", "cake"])),
    Verb(thirdSingular: "reads", base: "read", stem: "leg", periphrastic: false, objects: named(["book", "letter"])),
    Verb(thirdSingular: "helps", base: "help", stem: "helpo", periphrastic: true, objects: animals),
    Verb(thirdSingular: "thanks", base: "thank", stem: "danko", periphrastic: true, objects: animals),
]
let intransitiveVerbs: [Verb] = [
    Verb(thirdSingular: "sleeps", base: "sleep", stem: "dormo", periphrastic: true, objects: []),
    Verb(thirdSingular: "runs", base: "run", stem: "kur", periphrastic: false, objects: []),
    Verb(thirdSingular: "sings", base: "sing", stem: "kant", periphrastic: false, objects: []),
    Verb(thirdSingular: "swims", base: "swim", stem: "nag", periphrastic: false, objects: []),
    Verb(thirdSingular: "waits", base: "wait", stem: "atend", periphrastic: false, objects: []),
]

let prepositions: [Preposition] = [
    Preposition(source: "in", target: "en", objects: named(["house", "garden", "boat", "river", "tree"])),
    Preposition(source: "near", target: "apud", objects: nouns),
    Preposition(source: "with", target: "kun", objects: nouns),
    Preposition(source: "under", target: "sub", objects: named(["tree", "table", "boat", "stone"])),
]

/// A sentence pair under construction, with its sure and possible links.
struct Pair {
    var source: [String] = [], target: [String] = []
    var sure: [Link] = [], possible: [Link] = []

    /// Appends a source word and returns its index.
    mutating func say(_ word: String) -> Int { source.append(word); return source.count - 1 }

    /// Appends a target word aligned (sure) to the source words at `from`; returns its index.
    @discardableResult
    mutating func emit(_ word: String, from: [Int]) -> Int {
        target.append(word)
        for index in from { sure.append(Link(source: index, target: target.count - 1)) }
        return target.count - 1
    }
}

/// A noun phrase: determiner, optional adjective, noun; said in English order, emitted later
/// in the target order (article, noun, adjective).
struct NounPhrase {
    var noun: Noun, plural: Bool, determiner: String, adjective: (source: String, stem: String)?
    var indices: (determiner: Int, adjective: Int?, noun: Int) = (0, nil, 0)

    init(choosingFrom candidates: [Noun], _ random: inout SplitMix64) {
        noun = random.pick(candidates)
        plural = random.chance(0.5)
        determiner = random.chance(0.6) ? "the" : (plural ? "some" : "a")
        adjective = random.chance(0.35) ? random.pick(adjectives) : nil
    }

    mutating func say(into pair: inout Pair) {
        let determinerIndex = pair.say(determiner)
        let adjectiveIndex = adjective.map { pair.say($0.source) }
        let nounIndex = pair.say(plural ? noun.plural : noun.singular)
        indices = (determinerIndex, adjectiveIndex, nounIndex)
    }

    func emit(into pair: inout Pair) {
        switch determiner {
        case "the":  // the definite article agrees with the noun's class and number
            let article = noun.animate ? (plural ? "li" : "lo") : (plural ? "ke" : "ka")
            pair.emit(article, from: [indices.determiner])
        case "some": pair.emit("nu", from: [indices.determiner])
        default: break  // "a" has no counterpart
        }
        for (position, word) in noun.target.enumerated() {
            let last = position == noun.target.count - 1
            pair.emit(last && plural ? word + "n" : word, from: [indices.noun])
        }
        if let adjective, let index = indices.adjective {  // the adjective agrees too
            let suffix = noun.animate ? (plural ? "is" : "i") : (plural ? "es" : "e")
            pair.emit(adjective.stem + suffix, from: [index])
        }
    }
}

func makeTranslationPair(_ random: inout SplitMix64) -> Pair {
    var subject = NounPhrase(choosingFrom: animals, &random)
    let transitive = random.chance(0.7)
    let verb = random.pick(transitive ? transitiveVerbs : intransitiveVerbs)
    var object = transitive ? NounPhrase(choosingFrom: verb.objects, &random) : nil
    let negated = random.chance(0.25)
    let preposition = random.chance(0.35) ? random.pick(prepositions) : nil
    var prepositionObject = preposition.map { NounPhrase(choosingFrom: $0.objects, &random) }

    // English: subject, verb (or do/does not + base form), object, prepositional phrase.
    var pair = Pair()
    subject.say(into: &pair)
    var auxiliary: Int?, negation: Int?
    if negated {
        auxiliary = pair.say(subject.plural ? "do" : "does")
        negation = pair.say("not")
    }
    let verbIndex = pair.say(negated ? verb.base : (subject.plural ? verb.base : verb.thirdSingular))
    object?.say(into: &pair)
    var prepositionIndex: Int?
    if let preposition {
        prepositionIndex = pair.say(preposition.source)
        prepositionObject?.say(into: &pair)
    }

    // Target: subject, postpositional phrase, object, negation, verb (SOV, verb-final).
    subject.emit(into: &pair)
    if let preposition, let prepositionObject, let prepositionIndex {
        prepositionObject.emit(into: &pair)
        pair.emit(preposition.target, from: [prepositionIndex])
    }
    object?.emit(into: &pair)
    if let negation { pair.emit("ne", from: [negation]) }
    let agreement = subject.plural ? "an" : "as"
    let inflected: Int
    if verb.periphrastic {
        pair.emit(verb.stem, from: [verbIndex])
        inflected = pair.emit("f" + agreement, from: [verbIndex])
    } else {
        inflected = pair.emit(verb.stem + agreement, from: [verbIndex])
    }
    // do/does has no word of its own in the target: its number is the verb's ending.
    if let auxiliary { pair.possible.append(Link(source: auxiliary, target: inflected)) }
    return pair
}

func generateToyTranslation(into root: URL) throws {
    var random = SplitMix64(seed: 0x5EED_7011_0000_0001)
    var seen = Set<String>()
    var pairs: [Pair] = []
    while pairs.count < 9_000 {  // distinct source sentences, so dev and test are unseen in train
        let pair = makeTranslationPair(&random)
        if seen.insert(pair.source.joined(separator: " ")).inserted { pairs.append(pair) }
    }
    let directory = root.appendingPathComponent("toy-translation")
    for (name, range) in [("train", 0..<8_000), ("dev", 8_000..<8_500), ("test", 8_500..<9_000)] {
        let split = Array(pairs[range])
        try write(split.map { $0.source.joined(separator: " ") }, to: directory, "\(name).src")
        try write(split.map { $0.target.joined(separator: " ") }, to: directory, "\(name).tgt")
        try write(split.map { pharaoh($0.sure) }, to: directory, "\(name).align")
        if name != "train" {
            try write(split.map { pharaoh($0.sure + $0.possible) }, to: directory, "\(name).possible")
        }
    }
}

// MARK: - Main

var output = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Data")
var arguments = Array(CommandLine.arguments.dropFirst())
while let argument = arguments.first {
    arguments.removeFirst()
    if argument == "--out", let value = arguments.first {
        arguments.removeFirst()
        output = URL(fileURLWithPath: value)
    } else {
        FileHandle.standardError.write(Data("usage: swift Scripts/generate-corpora.swift [--out DIR]\n".utf8))
        exit(2)
    }
}
do {
    try generateAlgorithmicTasks(into: output)
    try generateToyTranslation(into: output)
} catch {
    FileHandle.standardError.write(Data("error: \(error.localizedDescription)\n".utf8))
    exit(1)
}
