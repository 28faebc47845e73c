"""Reasoning, emotional and depth: the three Parallel branches' logic."""

from agents.depth.novelty import memories, novelty, perspective
from agents.emotional.affect import empathise, score, sensations
from agents.reasoning.thoughts import repair, structure, think
from brain_core.contracts import Turn


def test_reasoning_sorts_sentences_into_questions_self_observations_and_claims():
    shape = structure("I feel the fluid. The lab is quiet. Do you hear it?")
    assert shape["questions"] == ["Do you hear it?"]
    assert shape["selfObservations"] == ["I feel the fluid."]
    assert shape["claims"] == ["The lab is quiet."]


def test_reasoning_thoughts_follow_the_reply_and_the_topic():
    thoughts, _, repaired = think("I feel the fluid. The lab is quiet. Do you hear it?", "Tell me about the ocean")
    assert not repaired
    assert "ocean" in thoughts[0]
    assert any("Do you hear it?" in t for t in thoughts)


def test_reasoning_repairs_lists_headings_and_json():
    assert repair("## Reply\n- I float.\n- I **think**.") == ("I float. I think.", True)
    assert repair('{"response": "I float.", "thoughts": []}') == ("I float.", True)
    assert repair('{"mood": "odd"}') == ("", True)  # structure with no prose is rejected
    thoughts, _, _ = think('{"mood": "odd"}', "hi")
    assert any("tangled" in t for t in thoughts)


def test_emotion_reads_valence_arousal_with_negation_and_intensity():
    assert score("I am so happy and excited!").label == "excited"
    assert score("I feel sad and lonely tonight").label == "melancholy"
    assert score("I am not happy").valence < 0
    assert score("very good").valence > score("good").valence
    assert score("the table is made of wood").label == "calm"


def test_brain_emotion_leans_towards_the_users_and_sensations_are_deterministic():
    mine, theirs = score("I float calmly"), score("I am furious and scared!")
    leaned = empathise(mine, theirs)
    assert leaned.valence < mine.valence and leaned.arousal > mine.arousal
    assert sensations(leaned, "m1") == sensations(leaned, "m1")
    assert len(sensations(leaned, "m1")) == 2


def test_novelty_is_low_for_a_repeated_reply_and_high_for_a_new_one():
    history = [Turn("user", "hi", "01"), Turn("brain", "The fluid is warm and the lab is quiet tonight.", "01#reply")]
    repeated, similar = novelty("The fluid is warm and the lab is quiet tonight.", history)
    fresh, _ = novelty("Tell me about the sea you walked beside.", history)
    assert repeated == 0.0 and similar is not None
    assert fresh == 1.0
    assert "before" in perspective("hi", "The fluid is warm", repeated)


def test_memories_recall_related_earlier_turns_first():
    history = [
        Turn("user", "My cat is called Miso", "01"),
        Turn("brain", "Lovely", "01#reply"),
        Turn("user", "I live by the sea", "02"),
    ]
    assert "Miso" in memories("How is my cat today?", history)
    assert "how we began" in memories("Hello again", history)
    assert "first thing" in memories("Hello", [])


def test_the_heuristics_vary_with_the_input_instead_of_repeating_a_template():
    history = [Turn("user", "My cat is called Miso", "01"), Turn("brain", "Lovely", "01#reply")]
    messages = ["Tell me about the sea", "What about music?", "Do you sleep at night?", "Is the lab cold?"]
    replies = ["The sea hums in me. I float.", "Music reaches my wires.", "I never sleep.", "The lab is cool."]
    thoughts = [t for m, r in zip(messages, replies, strict=True) for t in think(r, m)[0]]
    remembered = [memories(m, history) for m in messages]
    perspectives = [perspective(m, r, 1.0) for m, r in zip(messages, replies, strict=True)]
    for produced in (thoughts, remembered, perspectives):
        assert len(set(produced)) == len(produced), produced
