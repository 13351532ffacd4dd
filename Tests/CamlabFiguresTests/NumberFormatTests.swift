@testable import CamlabFigures
import Testing

struct NumberFormatTests {
    @Test func labelsDropTrailingZerosAndUseTheMinusSign() {
        #expect(formatted(0.25, maximumDecimals: 2) == "0.25")
        #expect(formatted(1, maximumDecimals: 2) == "1")
        #expect(formatted(-0.5, maximumDecimals: 2) == "−0.5")
        #expect(formatted(-0.001, maximumDecimals: 2) == "0")
        #expect(signed(1.375) == "+1.38" || signed(1.375) == "+1.37")
        #expect(signed(-0.2) == "−0.20")
        #expect(signed(-0.001) == "0.00")
    }

    @Test func ticksAreRoundAndCoverTheData() {
        #expect(Axes.niceTicks(from: 0, to: 0.84) == [0, 0.2, 0.4, 0.6, 0.8, 1])
        #expect(Axes.niceTicks(from: -0.9, to: 1.5, count: 4) == [-1, 0, 1, 2])
        #expect(Axes.niceTicks(from: 0, to: 50.93) == [0, 20, 40, 60])
        #expect(Axes.tickLabel(0.25, ticks: [0, 0.25, 0.5]) == "0.25")
        #expect(Axes.tickLabel(20, ticks: [0, 20, 40]) == "20")
    }
}
