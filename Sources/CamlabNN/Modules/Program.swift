import CamlabCore

/// A network compiled to a list of steps: slot 0 holds the input, instruction i writes slot i + 1.
///
/// Running a program keeps only what is asked for (the outputs of the modules being explained,
/// and what a re-run needs), freeing every other value after its last use. Replacing one module's
/// output re-runs only the instructions that depend on it, taking every other value — the skip
/// connection around an ablated convolution, say — from the first run.
public struct Program {
    public enum Step {
        case leaf(LeafModule)
        /// The residual add.
        case add
        /// `torch.flatten(x, 1)`.
        case flatten
    }

    public struct Instruction {
        public let step: Step
        public let inputs: [Int]
        public let output: Int
        /// The path of the module whose forward pass made this step ("" for the root).
        public let caller: String
    }

    public let instructions: [Instruction]
    /// The slot holding the network's output.
    public let output: Int
    /// The slots each module returned, one per call, by module path.
    public let moduleOutputs: [String: [Int]]
    /// The last instruction reading each slot (the output's is `instructions.count`).
    let lastUse: [Int]
    /// Where a convolution, the BatchNorm after it, a residual add and the ReLU after that can
    /// run as one step in inference: by the convolution's instruction index.
    let fusions: [Int: Fusion]

    /// A convolution followed by what can be folded into it: the BatchNorm that alone reads its
    /// output (an affine map per channel), the residual add that alone reads the result (its
    /// other input, computed before, is added as the convolution writes: `out += identity`),
    /// and the ReLU that alone reads that.
    struct Fusion {
        let convolution: Conv2d
        let batchNorm: BatchNorm2d?
        /// The slot of the add's other input.
        let residual: Int?
        let relu: Bool
        /// The slots computed on the way, which must not be kept for the fusion to apply.
        let skipped: [Int]
        /// The index of the last instruction the fusion covers.
        let last: Int
    }

    init(instructions: [Instruction], output: Int, moduleOutputs: [String: [Int]]) {
        self.instructions = instructions
        self.output = output
        self.moduleOutputs = moduleOutputs
        var lastUse = [Int](repeating: -1, count: instructions.count + 1)
        for (index, instruction) in instructions.enumerated() {
            for slot in instruction.inputs { lastUse[slot] = index }
        }
        lastUse[output] = instructions.count
        self.lastUse = lastUse
        var fusions: [Int: Fusion] = [:]
        func leaf(_ index: Int) -> LeafModule? {
            guard index < instructions.count, case .leaf(let module) = instructions[index].step else { return nil }
            return module
        }
        /// Instruction `index` alone reads the previous instruction's output, and nothing after it.
        func followsAlone(_ index: Int) -> Bool {
            index < instructions.count && instructions[index].inputs == [index] && lastUse[index] == index
        }
        for index in instructions.indices {
            guard let convolution = leaf(index) as? Conv2d else { continue }
            var last = index
            var batchNorm: BatchNorm2d?
            if followsAlone(index + 1), let next = leaf(index + 1) as? BatchNorm2d {
                batchNorm = next
                last = index + 1
            }
            // The add must come right after, read the convolution's result only once, and take
            // its other operand from before the convolution ran.
            var residual: Int?
            if last + 1 < instructions.count, case .add = instructions[last + 1].step, lastUse[last + 1] == last + 1 {
                let operands = instructions[last + 1].inputs
                if operands.count == 2, operands.filter({ $0 == last + 1 }).count == 1,
                   let other = operands.first(where: { $0 != last + 1 }), other <= index {
                    residual = other
                    last += 1
                }
            }
            let relu = followsAlone(last + 1) && leaf(last + 1) is ReLU
            if relu { last += 1 }
            guard last > index else { continue }
            fusions[index] = Fusion(convolution: convolution, batchNorm: batchNorm, residual: residual, relu: relu,
                                    skipped: Array((index + 1)...last), last: last)
        }
        self.fusions = fusions
    }

    /// Runs the program on `input`, keeping the values of `keep` (and the output).
    ///
    /// With `recordingFrom` slot s, nothing before s is recorded and s becomes a leaf of the graph:
    /// gradients can then be taken with respect to s and what follows it — all that explaining
    /// the module of s needs — without the cost of recording the network below it.
    public func run(_ input: Tensor, keeping keep: Set<Int> = [], recordingFrom start: Int? = nil,
                    context: RunContext = .evaluation) -> [Int: Tensor] {
        // Every run allocates and frees the same multi-megabyte arrays: keep them for reuse.
        AllocatorTuning.keepFreedMemoryForReuse()
        var values = [Tensor?](repeating: nil, count: instructions.count + 1)
        values[0] = input
        var index = 0
        while index < instructions.count {
            let instruction = instructions[index]
            let isPrefix = start.map { instruction.output <= $0 } ?? false
            var covered = index
            func step() -> Tensor {
                // Inference folds BatchNorm (and the ReLU) into the convolution before it; a
                // recorded pass, only a ReLU (and a residual) with no BatchNorm between.
                if let fusion = fusions[index],
                   fusion.batchNorm == nil || (!context.isTraining && !GradientMode.isRecording),
                   !fusion.skipped.contains(where: keep.contains), !fusion.skipped.contains(where: { $0 == start }) {
                    covered = fusion.last
                    return fusion.convolution.fused(values[instruction.inputs[0]]!, batchNorm: fusion.batchNorm,
                                                    adding: fusion.residual.map { values[$0]! }, relu: fusion.relu,
                                                    context: context)
                }
                return execute(instruction, values, context)
            }
            var value = isPrefix ? withoutGradient(step) : step()
            if let start, instructions[covered].output == start { value = value.requiringGradient() }
            values[instructions[covered].output] = value
            for done in index...covered {
                for slot in instructions[done].inputs where lastUse[slot] <= covered && !keep.contains(slot) { values[slot] = nil }
            }
            index = covered + 1
        }
        var kept: [Int: Tensor] = [:]
        for slot in keep.union([output]) { kept[slot] = values[slot] }
        return kept
    }

    /// The slots a re-run from `slot` reads without recomputing: values made before it, or
    /// independently of it, that the instructions depending on it use.
    public func frontier(of slot: Int) -> Set<Int> {
        var dirty: Set<Int> = [slot]
        var frontier = Set<Int>()
        for instruction in instructions[slot...] where instruction.inputs.contains(where: dirty.contains) {
            dirty.insert(instruction.output)
            frontier.formUnion(instruction.inputs.filter { !dirty.contains($0) })
        }
        return frontier
    }

    /// The output after replacing slot `slot` by `replacement`, re-running only what depends on
    /// it; `kept` must hold `frontier(of: slot)` from a run of the same input.
    public func rerun(replacing slot: Int, with replacement: Tensor, kept: [Int: Tensor],
                      context: RunContext = .evaluation) -> Tensor {
        var values = [Tensor?](repeating: nil, count: instructions.count + 1)
        for (keptSlot, value) in kept { values[keptSlot] = value }
        values[slot] = replacement
        var dirty: Set<Int> = [slot]
        for instruction in instructions[slot...] where instruction.inputs.contains(where: dirty.contains) {
            precondition(instruction.inputs.allSatisfy { values[$0] != nil }, "Program.rerun: a value of the frontier was not kept")
            values[instruction.output] = execute(instruction, values, context)
            dirty.insert(instruction.output)
        }
        return values[output]!
    }

    private func execute(_ instruction: Instruction, _ values: [Tensor?], _ context: RunContext) -> Tensor {
        let x = instruction.inputs.map { values[$0]! }
        switch instruction.step {
        case .leaf(let module): return module.apply(x[0], context)
        case .add: return x[0] + x[1]
        case .flatten: return x[0].reshaped(to: [x[0].shape[0], x[0].count / max(x[0].shape[0], 1)])
        }
    }

    /// The shape of every slot (without the batch axis) for an input of shape `input`, or the
    /// first module that cannot take what it gets.
    public func shapes(forInput input: [Int]) throws -> [[Int]] {
        var shapes = [[Int]](repeating: [], count: instructions.count + 1)
        shapes[0] = input
        for instruction in instructions {
            let x = instruction.inputs.map { shapes[$0] }
            switch instruction.step {
            case .leaf(let module):
                shapes[instruction.output] = try module.outputShape(for: x[0])
            case .add:
                guard x[0] == x[1] else {
                    throw ModuleShapeError("the residual add of '\(instruction.caller)' gets \(ModuleShapeError.list(x[0])) and \(ModuleShapeError.list(x[1]))")
                }
                shapes[instruction.output] = x[0]
            case .flatten:
                shapes[instruction.output] = [x[0].reduce(1, *)]
            }
        }
        return shapes
    }
}

/// Why a module cannot take the input it would get: one sentence.
public struct ModuleShapeError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
    static func list(_ shape: [Int]) -> String { shape.map(String.init).joined(separator: "×") }
}
