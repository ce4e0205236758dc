import Foundation

/// RFC 3339 timestamps, the only date format on the wire (`enrolled_at`, `created_at`, ack `timestamp`, ...).
///
/// Written by hand rather than with a date formatter so that parsing behaves the same on macOS and
/// Linux and accepts any number of fractional digits (agents send e.g. `2022-12-01T01:02:03.00004-07:00`).
public enum RFC3339 {
    /// `2022-12-01T01:02:03Z`, or with `fractionalSeconds` `2022-12-01T01:02:03.456Z` (milliseconds), always in UTC.
    /// Without fractional seconds the time is truncated to the second, as Go does.
    public static func string(from date: Date, fractionalSeconds: Bool = false) -> String {
        // Clamp to years 0001...9999 so the year always has four digits.
        let t = min(max(date.timeIntervalSince1970, -62_135_596_800), 253_402_300_799.999)
        // Round to the millisecond first so float noise never turns :03.000 into :02.999.
        let totalMillis = Int64((t * 1000).rounded())
        let (seconds, millis) = floorDivision(totalMillis, by: 1000)
        let (dayNumber, secondOfDay) = floorDivision(seconds, by: 86_400)
        let (year, month, day) = civil(fromDays: Int(dayNumber))
        let s = Int(secondOfDay)

        var text = "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
        text += "T\(pad(s / 3600, 2)):\(pad(s / 60 % 60, 2)):\(pad(s % 60, 2))"
        if fractionalSeconds {
            text += ".\(pad(Int(millis), 3))"
        }
        return text + "Z"
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; `t` and a space are accepted in place of `T`,
    /// and `z` in place of `Z`. Returns `nil` for anything else, including out-of-range fields.
    public static func date(from text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20 else { return nil }

        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count else { return nil }
            var value = 0
            for index in range {
                let byte = bytes[index]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        func isByte(_ index: Int, _ allowed: String) -> Bool {
            index < bytes.count && allowed.utf8.contains(bytes[index])
        }

        guard let year = number(0..<4), isByte(4, "-"),
            let month = number(5..<7), isByte(7, "-"),
            let day = number(8..<10), isByte(10, "Tt "),
            let hour = number(11..<13), isByte(13, ":"),
            let minute = number(14..<16), isByte(16, ":"),
            let second = number(17..<19)
        else { return nil }

        var index = 19
        var fraction = 0.0
        if isByte(index, ".") {
            index += 1
            let start = index
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                index += 1
            }
            guard index > start, let value = Double("0." + String(decoding: bytes[start..<index], as: UTF8.self))
            else { return nil }
            fraction = value
        }

        var offsetSeconds = 0
        if isByte(index, "Zz") {
            index += 1
        } else if isByte(index, "+-") {
            guard let offsetHours = number(index + 1..<index + 3), isByte(index + 3, ":"),
                let offsetMinutes = number(index + 4..<index + 6),
                offsetHours < 24, offsetMinutes < 60
            else { return nil }
            let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
            index += 6
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }

        guard (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
            hour < 24, minute < 60, second < 60
        else { return nil }

        let dayNumber = days(fromCivilYear: year, month: month, day: day)
        let whole = dayNumber * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: Double(whole) + fraction)
    }

    // MARK: - Calendar arithmetic (proleptic Gregorian, UTC)

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    private static func floorDivision(_ value: Int64, by divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        var quotient = value / divisor
        var remainder = value % divisor
        if remainder < 0 {
            quotient -= 1
            remainder += divisor
        }
        return (quotient, remainder)
    }

    private static func isLeap(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a civil date (the well-known era/day-of-era method).
    private static func days(fromCivilYear year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let shiftedMonth = (month + 9) % 12  // March = 0 ... February = 11
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The civil date of a day count since 1970-01-01; inverse of `days(fromCivilYear:month:day:)`.
    private static func civil(fromDays count: Int) -> (year: Int, month: Int, day: Int) {
        let z = count + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (month <= 2 ? yearOfEra + era * 400 + 1 : yearOfEra + era * 400, month, day)
    }
}
