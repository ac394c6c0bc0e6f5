import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, staff):
    staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    return client


def test_user_changelist_searches_by_email(admin_client, alice, bob):
    response = admin_client.get("/admin/account/user/", {"q": "alice@"})

    assert response.status_code == 200
    assert b"alice@example.com" in response.content
    assert b"bob@example.com" not in response.content


def test_user_changelist_filters_staff(admin_client, alice):
    response = admin_client.get("/admin/account/user/", {"is_staff__exact": "1"})

    assert response.status_code == 200
    assert b"staff@example.com" in response.content
    assert b"alice@example.com" not in response.content


def test_user_change_and_add_forms_render(admin_client, alice):
    assert admin_client.get(f"/admin/account/user/{alice.pk}/change/").status_code == 200
    assert admin_client.get("/admin/account/user/add/").status_code == 200


def test_admin_creates_a_user_with_a_hashed_password(admin_client):
    response = admin_client.post(
        "/admin/account/user/add/",
        {
            "email": "Dave@Example.com",
            "name": "Dave",
            "password1": "Str0ng-Passw0rd!",
            "password2": "Str0ng-Passw0rd!",
            "usable_password": "true",
        },
    )

    assert response.status_code == 302
    from account.models import User

    dave = User.objects.get(email="dave@example.com")
    assert dave.check_password("Str0ng-Passw0rd!")
