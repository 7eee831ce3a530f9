"""PyTorch that finds the GPU under sudo and not as the user is a device permission; one
answer alone says nothing of it. Lines are real (the URL beside them)."""

from __future__ import annotations

from gpusetup.logtriage import triage_text

# https://github.com/AUTOMATIC1111/stable-diffusion-webui/issues/3207 (cut at line boundaries)
_AS_ROOT = (
    '(venv) user@localhost:~> sudo /home/user/stable-diffusion-webui/venv/bin/python -c "import '
    'torch;print(torch.cuda.is_available())"\n'
    "True\n"
)
_AS_USER = (
    '(venv) user@localhost:~> /home/user/stable-diffusion-webui/venv/bin/python -c "import '
    'torch;print(torch.cuda.is_available())"\n'
    "False\n"
)


def _families(text: str) -> list[str]:
    return [r.family for r in triage_text(text).root_causes]


def test_true_as_root_and_false_as_the_user_is_a_permission_either_way_round() -> None:
    assert _families(_AS_ROOT + _AS_USER)[:1] == ["permission"]
    assert _families(_AS_USER + _AS_ROOT)[:1] == ["permission"]


def test_one_answer_alone_is_no_permission() -> None:
    assert "permission" not in _families(_AS_ROOT)
    assert "permission" not in _families(_AS_USER)
