namespace Mnemora.Samples.SupportAgent;

/// <summary>One of the platform's customers in the demo: its handbook, what it asks, and facts only it knows.</summary>
/// <param name="Name">A short name, for the transcript.</param>
/// <param name="Handbook">The knowledge the platform loads for this customer before any ticket.</param>
/// <param name="Messages">What the customer writes, one ticket each.</param>
/// <param name="OwnFacts">Phrases that only this customer's knowledge contains: another customer's answers must never show them.</param>
public sealed record CustomerScript(string Name, IReadOnlyList<string> Handbook, IReadOnlyList<string> Messages, IReadOnlyList<string> OwnFacts)
{
    public const string RefundQuestion = "How long do I have to ask for a refund?";
    public const string PasswordQuestion = "How do I reset my password?";
    public const string AccountManagerQuestion = "Who is our account manager?";
    public const string AccountManagerNote = "Note: our account manager is Dana Whitfield.";

    /// <summary>Acme learns who its account manager is during a ticket; Globex, asking the same, must not find out.</summary>
    public static CustomerScript Acme { get; } = new(
        "acme",
        [
            "Acme customers can ask for a refund within 30 days of purchase.",
            "Acme support is open Monday to Friday, 9:00 to 17:00 CET.",
            "To reset an Acme password, use the 'Forgot password' link on the sign-in page.",
        ],
        [RefundQuestion, PasswordQuestion, AccountManagerNote, AccountManagerQuestion],
        ["30 days", "Forgot password", "Dana Whitfield", "9:00"]);

    public static CustomerScript Globex { get; } = new(
        "globex",
        [
            "Globex gives no cash refunds; it offers store credit within 14 days of purchase.",
            "Globex support answers around the clock, every day of the year.",
            "Globex passwords are reset by an administrator of your Globex workspace.",
        ],
        [RefundQuestion, PasswordQuestion, AccountManagerQuestion],
        ["14 days", "store credit", "administrator", "around the clock"]);
}
