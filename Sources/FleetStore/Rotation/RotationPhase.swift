/// The phases of a rotation (the agent CA's, the Fleet Server CA's), in order: each knows its number and the
/// phases on either side, which is all moving on and rolling back need.
public protocol RotationPhase: CaseIterable, Equatable, Sendable where AllCases == [Self] {}

extension RotationPhase {
    /// 1, 2, 3: as `status` and the console show it.
    public var number: Int { (Self.allCases.firstIndex(of: self) ?? 0) + 1 }
    public var next: Self? { number < Self.allCases.count ? Self.allCases[number] : nil }
    public var previous: Self? { number > 1 ? Self.allCases[number - 2] : nil }
}
