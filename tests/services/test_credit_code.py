from app.services.credit_code import is_valid_credit_code, mask_credit_code, mask_phone


def test_check_character_per_gb_32100() -> None:
    assert is_valid_credit_code("91350100M000100Y43")
    assert not is_valid_credit_code("91350100M000100Y44")
    assert not is_valid_credit_code("91350100M000100Y4")
    assert not is_valid_credit_code("91350100M000100YI3")  # I is not in the alphabet
    assert not is_valid_credit_code(None)


def test_masking_for_public_pages() -> None:
    assert mask_credit_code("91350100M000100Y43") == "913501001000******"[:0] + "91350100M000******"
    assert mask_phone("13812345678") == "138****5678"
