extension AttentionMatrix {
    /// The attention over subword pieces read as attention over words: a target word's row is
    /// the mean of its pieces' rows, a source word's column the sum of its pieces' columns, so
    /// every row still sums to 1 (a word takes all the attention its pieces took, and a word
    /// emitted as several pieces attends as they did on average). A token without `@@` is a
    /// word of its own, so `</s>` stays as it is.
    ///
    /// - Returns: `[T_words, S_words]`, with the words the pieces join into.
    public func joiningSubwords() throws -> AttentionMatrix {
        let sourceWords = BPECodes.wordIndices(sourceTokens), targetWords = BPECodes.wordIndices(targetTokens)
        let columns = (sourceWords.last ?? -1) + 1, rows = (targetWords.last ?? -1) + 1
        var weights = [Float](repeating: 0, count: rows * columns)
        var pieces = [Int](repeating: 0, count: rows)
        for t in 0..<rowCount {
            let row = targetWords[t]
            pieces[row] += 1
            for s in 0..<columnCount { weights[row * columns + sourceWords[s]] += self[t, s] }
        }
        for row in 0..<rows where pieces[row] > 1 {
            let scale = 1 / Float(pieces[row])
            for column in 0..<columns { weights[row * columns + column] *= scale }
        }
        return try AttentionMatrix(sourceTokens: BPECodes.join(sourceTokens), targetTokens: BPECodes.join(targetTokens), weights: weights)
    }
}
