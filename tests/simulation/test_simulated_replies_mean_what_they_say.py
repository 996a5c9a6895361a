import datetime as dt

from messaging.grammar import Intent, parse_reply
from offers import simulation as sim


def test_every_simulated_reply_is_read_by_the_grammar_as_the_intent_it_was_drawn_for():
    wanted = {"accept": Intent.ACCEPT, "decline": Intent.DECLINE, "opt_out": Intent.OPT_OUT}
    for (intent, language), bodies in sim.REPLY_BODIES.items():
        for body in bodies:
            assert parse_reply(body).intent == wanted[intent], (language, body)


def test_a_patient_answers_the_same_slot_the_same_way_whatever_the_policy():
    # policies offer a slot to the same patient in different waves, at different times, under
    # different offer ids: the answer and its delay must not depend on any of that
    patients = sim.RandomPatients(sim.SimConfig(seed=4, accept=0.9, decline=0.05, opt_out=0.05))
    answers = set()
    for offer_id, sent_minute, wave in ((1, 0, 1), (99, 7, 2), (5000, 59, 9)):
        at = dt.datetime(2026, 11, 2, 15, sent_minute, tzinfo=dt.UTC)
        seen = sim.OfferSeen(offer_id, wave, at, at, "sim-P000042", "sim-C000007", "+13125550042", "en")
        answers.add(patients.respond(seen))
    assert len(answers) == 1
    assert None not in answers


def test_answers_differ_between_patients():
    patients = sim.RandomPatients(sim.SimConfig(seed=4, accept=0.9, decline=0.05, opt_out=0.05))
    at = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)
    delays = {
        patients.respond(sim.OfferSeen(1, 1, at, at, f"sim-P{i:06d}", "sim-C000007", "+13125550042", "en")).delay
        for i in range(20)
    }
    assert len(delays) > 10
