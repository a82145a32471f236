import ResolverCore
import Testing

/// ``QuestionRounds`` alone: the questions of each round as the recipes used to list them.
@Suite struct QuestionRoundsTests {
    @Test func eachRoundAsksItsNameEveryType() {
        let rounds = QuestionRounds(names: ["www.example.test", "www.example.test.corp"], types: [DNSQuestion.a, DNSQuestion.aaaa])
        #expect(rounds.count == 2 && rounds.questionsPerRound == 2)
        #expect(rounds[0] == [DNSQuestion(name: "www.example.test", type: DNSQuestion.a), DNSQuestion(name: "www.example.test", type: DNSQuestion.aaaa)])
        #expect(rounds[1] == [DNSQuestion(name: "www.example.test.corp", type: DNSQuestion.a), DNSQuestion(name: "www.example.test.corp", type: DNSQuestion.aaaa)])
        #expect(rounds.question(1, 1) == DNSQuestion(name: "www.example.test.corp", type: DNSQuestion.aaaa))
    }

    @Test func oneQuestionIsOneRoundOfOne() {
        let rounds = QuestionRounds("1.2.0.192.in-addr.arpa", type: DNSQuestion.ptr)
        #expect(rounds.count == 1 && rounds.questionsPerRound == 1)
        #expect(rounds[0] == [DNSQuestion(name: "1.2.0.192.in-addr.arpa", type: DNSQuestion.ptr)])
        #expect(rounds == QuestionRounds(names: ["1.2.0.192.in-addr.arpa"], types: [DNSQuestion.ptr]))
    }
}
