"""An extension cannot receive texts: a number given with one is refused with that reason, not
quietly stored as the main line (which would text the clinic's switchboard, or someone else)."""

import pytest
from django.core.exceptions import ValidationError

from messaging.phones import normalize_phone


@pytest.mark.parametrize("raw", ["312-555-0101 ext. 22", "(312) 555-0101 x22", "3125550101#22", "+1 312 555 0101;ext=22"])
def test_a_phone_with_an_extension_is_refused_not_truncated_to_the_main_line(raw):
    with pytest.raises(ValidationError, match="an extension cannot receive texts"):
        normalize_phone(raw)
