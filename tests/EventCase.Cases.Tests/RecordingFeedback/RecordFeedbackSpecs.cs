using EventCase.Cases.Lifecycle;
using EventCase.Cases.RecordingFeedback;
using EventCase.Cases.Reopening;
using NodaTime;
using static EventCase.Cases.Tests.Support.CaseFixtures;
using static EventCase.Cases.Tests.Support.CaseSpec;

namespace EventCase.Cases.Tests.RecordingFeedback;

public sealed class RecordFeedbackSpecs
{
    [Fact]
    public void Feedback_on_a_resolved_case_is_recorded()
    {
        Given(Opened(), AssignedToStreets(), Resolved()).When(new RecordFeedback(Id, 5, "Great", Now))
            .Then(new FeedbackRecorded(Id, 5, "Great", Now));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    public void Satisfaction_outside_one_to_five_is_rejected(int satisfaction)
    {
        Given(Opened(), AssignedToStreets(), Resolved()).When(new RecordFeedback(Id, satisfaction, null, Now))
            .ThenRejected<InvalidCommandInput>($"case BOS-2026-000102 is Resolved; RecordFeedback needs a satisfaction from 1 to 5, not {satisfaction}");
    }

    [Fact]
    public void A_second_feedback_for_the_same_resolution_is_rejected_even_after_closing()
    {
        Given(Opened(), AssignedToStreets(), Resolved(), new FeedbackRecorded(Id, 2, null, At(6)), new Closing.CaseClosed(Id, At(7)))
            .When(new RecordFeedback(Id, 4, null, Now))
            .ThenRejected<FeedbackAlreadyRecorded>("case BOS-2026-000102 is Closed; RecordFeedback accepts one feedback per resolution and it was already given");
    }

    [Fact]
    public void A_reopened_and_resolved_again_case_takes_new_feedback()
    {
        Given(Opened(), AssignedToStreets(), Resolved(), new FeedbackRecorded(Id, 1, null, At(6)),
                new CaseReopened(Id, "Not fixed", At(7)), Resolved() with { At = At(8) })
            .When(new RecordFeedback(Id, 4, null, Now))
            .Then(new FeedbackRecorded(Id, 4, null, Now));
    }

    [Fact]
    public void Feedback_on_an_open_case_is_rejected()
    {
        Given(Opened()).When(new RecordFeedback(Id, 3, null, Now + Duration.FromDays(1)))
            .ThenRejected<CommandNotAllowedInStatus>("case BOS-2026-000102 is Open; RecordFeedback needs a Resolved or Closed case");
    }
}
