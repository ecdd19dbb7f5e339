using Mnemora.Storage.Semantic;

namespace Mnemora.Dedup.Tests;

/// <summary>The offline judge, one rule per test; the stored text comes first, as it is written.</summary>
public sealed class RuleDuplicateJudgeTests
{
    [Theory]
    [InlineData("Invoice INV-2024-7781-B was paid late", "Invoice INV-2024-7781-C was paid late")]
    [InlineData("Invoice INV-2024-7781-B was paid late", "Invoice INV-2024-7718-B was paid late")]
    [InlineData("Invoice INV-2024-7781-C was paid late", "Invoice INV-2024-7718-B was paid late")]
    public void TheIssuesInvoicesAreDistinct(string stored, string written) =>
        AssertVerdict(DuplicateVerdict.Distinct, stored, written);

    [Fact]
    public void TheIssuesMeetingMovedToThursdayIsAnUpdate() =>
        AssertVerdict(DuplicateVerdict.Update, "The meeting with Anna is on Tuesday", "The meeting with Anna is on Thursday");

    [Theory]
    [InlineData("The meeting with Anna is on Tuesday", "the meeting with Anna is on Tuesday.")]
    [InlineData("Anna isn't available on Friday", "Anna is not available on Friday")]
    [InlineData("The customer can't log in", "The customer cannot log in")]
    [InlineData("The team has three open positions", "The team has 3 open positions")]
    [InlineData("The shop opens at 9am", "The shop opens at 9 AM")]
    [InlineData("The package weighs 5 kg", "The package weighs 5kg")]
    [InlineData("The report is due on June 30", "The report is due on June 30th")]
    [InlineData("The user is vegetarian", "The user is a vegetarian")]
    public void WordingAloneIsTheSameFact(string stored, string written) =>
        AssertVerdict(DuplicateVerdict.Same, stored, written);

    [Fact]
    public void APreambleBeforeTheWholeFactIsTheSameFact() =>
        AssertVerdict(DuplicateVerdict.Same, "The user is learning Japanese", "Just so you know, the user is learning Japanese");

    [Fact]
    public void LessThanTheStoredMemorySaysIsNothingNew() =>
        AssertVerdict(DuplicateVerdict.Same, "The meeting with Anna is on Tuesday at 3pm", "The meeting with Anna is on Tuesday");

    [Fact]
    public void TheSameWordsInAnotherOrderAreTheSameFact() =>
        AssertVerdict(DuplicateVerdict.Same, "The office closes at 6pm on Fridays", "On Fridays the office closes at 6pm");

    [Theory]
    [InlineData("The user is vegetarian", "The user is not vegetarian")]
    [InlineData("The user drinks coffee", "The user never drinks coffee")]
    [InlineData("The pipeline will run on weekends", "The pipeline won't run on weekends")]
    [InlineData("The patient has a history of diabetes", "The patient has no history of diabetes")]
    public void ANegationMakesItDistinct(string stored, string written) =>
        AssertVerdict(DuplicateVerdict.Distinct, stored, written);

    [Theory]
    [InlineData("Server web-03 is down", "Server web-04 is down")]
    [InlineData("The user's IP address is 10.0.0.12", "The user's IP address is 10.0.0.21")]
    [InlineData("The invoice was sent to billing@contoso.com", "The invoice was sent to billing@fabrikam.com")]
    [InlineData("Version 2.3.1 fixed the login bug", "Version 2.3.2 fixed the login bug")]
    [InlineData("The customer's account number is 00412", "The customer's account number is 00421")]
    public void AnotherIdOrCodeMakesItDistinct(string stored, string written) =>
        AssertVerdict(DuplicateVerdict.Distinct, stored, written);

    [Theory]
    [InlineData("The meeting with Anna is on Tuesday", "The meeting with Maria is on Tuesday")]
    [InlineData("Sarah is the account manager for Contoso", "Sarah is the account manager for Fabrikam")]
    [InlineData("Anna is on holiday next week", "Maria is on holiday next week")]
    public void AnotherNameMakesItDistinct(string stored, string written) =>
        AssertVerdict(DuplicateVerdict.Distinct, stored, written);

    [Fact]
    public void SwappedNamesAreDistinct() =>
        AssertVerdict(DuplicateVerdict.Distinct, "Anna owes Tom 50 EUR", "Tom owes Anna 50 EUR");

    [Fact]
    public void AnotherDirectionIsDistinct() =>
        AssertVerdict(DuplicateVerdict.Distinct, "The package was sent to Hamburg", "The package was sent from Hamburg");

    [Theory]
    [InlineData("Room 214 is booked for the workshop", "Room 241 is booked for the workshop")]
    [InlineData("The staging server is down", "The production server is down")]
    [InlineData("The 2023 budget was 1.2 million EUR", "The 2024 budget was 1.2 million EUR")]
    public void AChangeInTheSubjectIsAnotherFact(string stored, string written) =>
        AssertVerdict(DuplicateVerdict.Distinct, stored, written);

    [Theory]
    [InlineData("The monthly rent is 900 EUR", "The monthly rent is 950 EUR")]
    [InlineData("The shop opens at 9am", "The shop opens at 10am")]
    [InlineData("The project deadline is March 15", "The project deadline is April 15")]
    [InlineData("The user has two children", "The user has three children")]
    [InlineData("The user's rent of 1200 EUR is due on the first", "The user's rent of 1250 EUR is due on the first")]
    public void AnotherValueOfAStateIsAnUpdate(string stored, string written) =>
        AssertVerdict(DuplicateVerdict.Update, stored, written);

    [Theory]
    [InlineData("I paid 40 EUR for lunch on Monday", "I paid 40 EUR for lunch on Tuesday")]
    [InlineData("The server crashed on 2 May", "The server crashed on 5 May")]
    [InlineData("The user bought a laptop for $1200", "The user bought a laptop for $1500")]
    public void AnotherValueOfAPastEventIsAnotherEvent(string stored, string written) =>
        AssertVerdict(DuplicateVerdict.Distinct, stored, written);

    [Fact]
    public void AStatedChangeOfAPastEventIsAnUpdate() =>
        AssertVerdict(DuplicateVerdict.Update, "The meeting with Anna is on Tuesday", "The meeting with Anna was moved to Thursday");

    [Theory]
    [InlineData("The user prefers dark mode", "The user prefers light mode")]
    [InlineData("The user's favourite colour is blue", "The user's favourite colour is green")]
    [InlineData("The office is open", "The office is closed")]
    public void AnotherChoiceOrStateIsAnUpdate(string stored, string written) =>
        AssertVerdict(DuplicateVerdict.Update, stored, written);

    [Theory]
    [InlineData("Marco is allergic to peanuts", "Marco is allergic to walnuts")]
    [InlineData("The user likes jazz", "The user likes techno")]
    public void AnotherObjectOfARelationThatCanHoldTwiceIsDistinct(string stored, string written) =>
        AssertVerdict(DuplicateVerdict.Distinct, stored, written);

    [Fact]
    public void MoreSaidAboutTheSameSubjectIsAnUpdate() =>
        AssertVerdict(DuplicateVerdict.Update, "The user likes hiking", "The user likes hiking and climbing");

    [Fact]
    public void ALongRewriteIsNotOneChangedValue() =>
        AssertVerdict(DuplicateVerdict.Distinct,
            "The user prefers short answers with bullet points and code samples in C#",
            "The user prefers long answers with numbered lists, diagrams and samples written in Python");

    [Fact]
    public async Task TheJudgeBehindTheInterfaceGivesTheRulesVerdict()
    {
        var judgement = await RuleDuplicateJudge.Instance.JudgeAsync("The meeting with Anna is on Thursday", "The meeting with Anna is on Tuesday", 0.97, TestContext.Current.CancellationToken);

        Assert.Equal(RuleDuplicateJudge.Judge("The meeting with Anna is on Thursday", "The meeting with Anna is on Tuesday"), judgement);
    }

    [Theory]
    [InlineData("", "")]
    [InlineData("   ", "...")]
    [InlineData("!!!", "The user is vegetarian")]
    [InlineData("Ünïcödé 名前 是 test", "Ünïcödé 名前 不是 test")]
    public void OddTextIsJudgedWithoutThrowing(string stored, string written) =>
        Assert.IsType<DuplicateJudgement>(RuleDuplicateJudge.Judge(written, stored));

    private static void AssertVerdict(DuplicateVerdict expected, string stored, string written)
    {
        var judgement = RuleDuplicateJudge.Judge(written, stored);
        Assert.True(expected == judgement.Verdict, $"expected {expected}, judged {judgement.Verdict} ({judgement.Reason}): \"{stored}\" → \"{written}\"");
    }
}
