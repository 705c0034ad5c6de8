/// Hypothesis/reference pairs whose BLEU and chrF2 were computed once with sacrebleu 2.6.0:
///
///     sacrebleu REF -i HYP -m bleu chrf -w 6
///
/// (default settings: 13a tokenisation, exp smoothing, mixed case; chrF n=6, beta=2, no word
/// n-grams). sacrebleu is not needed to run the tests; these numbers are its output.
struct SacreBLEUCase {
    var name: String
    var hypotheses: [String]
    var references: [String]
    var bleu: Double
    var chrF: Double
}

let sacreBLEUCases: [SacreBLEUCase] = [
    SacreBLEUCase(
        name: "basic",
        hypotheses: ["The cat sat on the mat.", "Hello, world!"],
        references: ["The cat is on the mat.", "Hello world !"],
        bleu: 40.14531, chrF: 66.051806),
    SacreBLEUCase(
        name: "identical",
        hypotheses: ["the cat sat on the mat", "a dog barked"],
        references: ["the cat sat on the mat", "a dog barked"],
        bleu: 100.0, chrF: 100.0),
    SacreBLEUCase(
        name: "empty hypothesis",
        hypotheses: [""],
        references: ["the cat sat on the mat"],
        bleu: 0.0, chrF: 0.0),
    SacreBLEUCase(  // BP = exp(1 − 10/6) = 0.513
        name: "empty hypothesis in a corpus",
        hypotheses: ["the cat sat on the mat", ""],
        references: ["the cat sat on the mat", "a dog barked loudly"],
        bleu: 51.341712, chrF: 57.338981),
    SacreBLEUCase(
        name: "no matching n-gram",
        hypotheses: ["a b c d"],
        references: ["e f g h"],
        bleu: 0.0, chrF: 0.0),
    SacreBLEUCase(  // precisions 75/33.3/25/25: the 3- and 4-grams only count through exp smoothing
        name: "exp smoothing and brevity penalty",
        hypotheses: ["the quick brown fox"],
        references: ["the quick red fox jumps"],
        bleu: 27.534766, chrF: 40.379092),
    SacreBLEUCase(
        name: "hypothesis longer than reference",
        hypotheses: ["the cat sat on the mat today in the warm sun"],
        references: ["the cat sat on the mat"],
        bleu: 46.173663, chrF: 80.906608),
    SacreBLEUCase(
        name: "unicode: accents, CJK, sharp s",
        hypotheses: ["Le café est très bon.", "我喜欢猫。", "Straße über Äpfel"],
        references: ["Le café était très bon.", "我 喜欢 猫 。", "Strasse über Äpfel"],
        bleu: 25.173659, chrF: 65.402395),
    SacreBLEUCase(  // e + combining acute is not é to sacrebleu (code points, not graphemes)
        name: "decomposed accent",
        hypotheses: ["cafe\u{301} noir"],
        references: ["caf\u{E9} noir"],
        bleu: 0.0, chrF: 37.07384),
    SacreBLEUCase(
        name: "13a punctuation and entities",
        hypotheses: ["&quot;Hello,&quot; she said (quietly): 3.5 x-y 1-2, end.", "Don't stop--it's 10,000 km/h!"],
        references: ["\"Hello\", she said (quietly): 3.5 x-y 1 - 2, end .", "Do not stop -- it's 10,000 km / h !"],
        bleu: 68.309832, chrF: 83.015831),
    SacreBLEUCase(  // corpus statistics summed, not sentence scores averaged
        name: "multi-line corpus",
        hypotheses: ["the cat is on the mat", "there is a cat on the mat", "a dog", "the house is big and red",
                     "i like green apples"],
        references: ["the cat is on the mat", "a cat is on the mat", "the dog runs", "the big red house",
                     "i like green apples very much"],
        bleu: 52.915026, chrF: 62.012545),
    SacreBLEUCase(  // references shorter than the n-gram orders
        name: "short references",
        hypotheses: ["ab", "abcdefgh"],
        references: ["a", "abcdxfgh"],
        bleu: 0.0, chrF: 38.080507),
    SacreBLEUCase(  // an empty reference adds nothing to chrF's hypothesis counts
        name: "empty reference",
        hypotheses: ["something", "the cat"],
        references: ["", "the cat"],
        bleu: 0.0, chrF: 100.0),
    SacreBLEUCase(  // chrF ignores whitespace; trailing whitespace and tabs are stripped
        name: "whitespace",
        hypotheses: ["a b  c\td  "],
        references: ["abcd"],
        bleu: 0.0, chrF: 100.0),
]
