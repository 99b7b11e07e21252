"""Short, clear requests per area and language, written for the tests (not from the corpus)."""

import pytest

PROBES: dict[str, dict[str, str]] = {
    "ratification": {
        "en": "Our parliament asks for help to accede to the remaining universal counter-terrorism "
        "conventions and protocols and to incorporate them into the criminal code.",
        "fr": "Notre parlement demande une aide pour adhérer aux conventions et protocoles "
        "universels contre le terrorisme qui restent à ratifier et les incorporer dans le code "
        "pénal.",
        "es": "Nuestro parlamento solicita ayuda para adherirse a los convenios y protocolos "
        "universales contra el terrorismo pendientes e incorporarlos al código penal.",
        "ru": "Наш парламент просит помочь присоединиться к остальным универсальным конвенциям и "
        "протоколам по борьбе с терроризмом и включить их положения в уголовный кодекс.",
        "ar": "يطلب برلماننا المساعدة في الانضمام إلى ما تبقى من الاتفاقيات والبروتوكولات "
        "العالمية لمكافحة الإرهاب وإدماجها في قانون العقوبات.",
        "zh": "我国议会请求协助加入其余的国际反恐公约和议定书，并将其纳入刑法。",
    },
    "intl-cooperation": {
        "en": "Please train our central authority on drafting mutual legal assistance and "
        "extradition requests in terrorism cases.",
        "fr": "Veuillez former notre autorité centrale à la rédaction des demandes d'entraide "
        "judiciaire et d'extradition dans les affaires de terrorisme.",
        "es": "Les rogamos capacitar a nuestra autoridad central en la redacción de solicitudes de "
        "asistencia judicial recíproca y de extradición en casos de terrorismo.",
        "ru": "Просим обучить наш центральный орган составлению запросов о взаимной правовой "
        "помощи и выдаче по делам о терроризме.",
        "ar": "نرجو تدريب السلطة المركزية لدينا على صياغة طلبات المساعدة القانونية المتبادلة "
        "وتسليم المطلوبين في قضايا الإرهاب.",
        "zh": "请为我国中央机关培训如何起草恐怖主义案件中的司法协助请求和引渡请求。",
    },
    "interagency": {
        "en": "We ask for support to set up a national coordination mechanism so that police, "
        "intelligence services and the counter-terrorism centre share information and work "
        "together.",
        "fr": "Nous sollicitons un appui pour créer un mécanisme national de coordination afin que "
        "la police, les services de renseignement et le centre antiterroriste partagent "
        "l'information et travaillent ensemble.",
        "es": "Solicitamos apoyo para crear un mecanismo nacional de coordinación para que la "
        "policía, los servicios de inteligencia y el centro antiterrorista compartan información "
        "y trabajen juntos.",
        "ru": "Просим поддержать создание национального координационного механизма, чтобы "
        "полиция, спецслужбы и антитеррористический центр обменивались информацией и работали "
        "согласованно.",
        "ar": "نطلب الدعم لإنشاء آلية تنسيق وطنية تتيح للشرطة وأجهزة الاستخبارات والمركز الوطني "
        "لمكافحة الإرهاب تبادل المعلومات والعمل معاً.",
        "zh": "我们请求支持建立国家协调机制，使警方、情报部门和反恐中心共享信息、协同工作。",
    },
    "evidence": {
        "en": "Our investigators need training on collecting and preserving electronic and "
        "forensic evidence from seized phones for terrorism prosecutions.",
        "fr": "Nos enquêteurs ont besoin d'une formation sur la collecte et la conservation des "
        "preuves électroniques et médico-légales provenant de téléphones saisis, pour les "
        "poursuites antiterroristes.",
        "es": "Nuestros investigadores necesitan capacitación en la obtención y conservación de "
        "pruebas electrónicas y forenses de teléfonos incautados para los procesos por "
        "terrorismo.",
        "ru": "Нашим следователям требуется обучение сбору и сохранению электронных и "
        "криминалистических доказательств с изъятых телефонов для уголовного преследования за "
        "терроризм.",
        "ar": "يحتاج محققونا إلى تدريب على جمع الأدلة الإلكترونية والجنائية من الهواتف المضبوطة "
        "وحفظها لاستخدامها في الملاحقات القضائية المتعلقة بالإرهاب.",
        "zh": "我国调查人员需要培训，学习如何从查获的手机中收集和保全电子证据和法证证据，"
        "用于恐怖主义案件起诉。",
    },
    "platforms": {
        "en": "Could UNODC show our prosecutors how to search SHERLOC and how to register our "
        "authorities in the directory of competent national authorities?",
        "fr": "L'ONUDC pourrait-il montrer à nos procureurs comment consulter SHERLOC et inscrire "
        "nos autorités dans le répertoire des autorités nationales compétentes ?",
        "es": "¿Podría la UNODC enseñar a nuestros fiscales a consultar SHERLOC e inscribir a "
        "nuestras autoridades en el directorio de autoridades nacionales competentes?",
        "ru": "Не могло бы УНП ООН показать нашим прокурорам, как пользоваться порталом SHERLOC и "
        "внести наши органы в справочник компетентных национальных органов?",
        "ar": "هل يمكن للمكتب أن يعرّف أعضاء النيابة لدينا بكيفية استخدام بوابة شيرلوك "
        "(SHERLOC) وتسجيل سلطاتنا في دليل السلطات الوطنية المختصة؟",
        "zh": "能否请毒罪办向我国检察官演示如何检索SHERLOC门户，并将我国主管机关登记到"
        "国家主管机关名录中？",
    },
    "biometrics": {
        "en": "We need help to build a fingerprint and facial recognition database to identify "
        "terrorist suspects, following the UN compendium on biometrics.",
        "fr": "Nous avons besoin d'aide pour créer une base de données d'empreintes digitales et "
        "de reconnaissance faciale afin d'identifier les suspects terroristes, conformément au "
        "recueil des Nations Unies sur la biométrie.",
        "es": "Necesitamos ayuda para crear una base de datos de huellas dactilares y "
        "reconocimiento facial para identificar a sospechosos de terrorismo, conforme al "
        "compendio de las Naciones Unidas sobre biometría.",
        "ru": "Нам нужна помощь в создании базы данных отпечатков пальцев и распознавания лиц для "
        "идентификации подозреваемых в терроризме в соответствии с компендиумом ООН по "
        "биометрии.",
        "ar": "نحتاج إلى المساعدة في إنشاء قاعدة بيانات لبصمات الأصابع والتعرف على الوجه لتحديد "
        "هوية المشتبه بهم في قضايا الإرهاب، وفقاً لخلاصة الأمم المتحدة بشأن القياسات الحيوية.",
        "zh": "我们需要协助建立指纹和人脸识别数据库以识别恐怖主义嫌疑人，参照联合国生物识别"
        "技术汇编。",
    },
    "criminal-justice": {
        "en": "We ask for a workshop for judges on fair trial guarantees and human rights in "
        "terrorism trials and on the rule of law in criminal justice responses.",
        "fr": "Nous demandons un atelier pour les juges sur les garanties d'un procès équitable et "
        "les droits de l'homme dans les procès pour terrorisme, et sur l'état de droit dans la "
        "réponse pénale.",
        "es": "Solicitamos un taller para jueces sobre las garantías del debido proceso y los "
        "derechos humanos en los juicios por terrorismo, y sobre el estado de derecho en la "
        "justicia penal.",
        "ru": "Просим провести семинар для судей о гарантиях справедливого судебного "
        "разбирательства и правах человека в делах о терроризме и о верховенстве права в "
        "уголовном правосудии.",
        "ar": "نطلب تنظيم حلقة عمل للقضاة بشأن ضمانات المحاكمة العادلة وحقوق الإنسان في قضايا "
        "الإرهاب وسيادة القانون في العدالة الجنائية.",
        "zh": "我们请求为法官举办研讨会，内容涉及恐怖主义案件审判中的公正审判保障和人权，"
        "以及刑事司法中的法治。",
    },
    "ftf": {
        "en": "Assistance is requested to prosecute, rehabilitate and reintegrate foreign "
        "terrorist fighters returning from Syria and Iraq.",
        "fr": "Une assistance est demandée pour poursuivre, réhabiliter et réintégrer les "
        "combattants terroristes étrangers de retour de Syrie et d'Irak.",
        "es": "Se solicita asistencia para enjuiciar, rehabilitar y reintegrar a los combatientes "
        "terroristas extranjeros que regresan de Siria e Irak.",
        "ru": "Запрашивается помощь в уголовном преследовании, реабилитации и реинтеграции "
        "иностранных боевиков-террористов, возвращающихся из Сирии и Ирака.",
        "ar": "نطلب المساعدة في ملاحقة المقاتلين الإرهابيين الأجانب العائدين من سوريا والعراق "
        "قضائياً وإعادة تأهيلهم وإدماجهم.",
        "zh": "请求协助对从叙利亚和伊拉克返回的外国恐怖主义战斗人员进行起诉、改造和重返社会工作。",
    },
    "financing": {
        "en": "Our financial intelligence unit needs training on suspicious transaction reports "
        "and on freezing the assets of terrorist financiers without delay.",
        "fr": "Notre cellule de renseignement financier a besoin d'une formation sur les "
        "déclarations d'opérations suspectes et le gel sans délai des avoirs des financiers du "
        "terrorisme.",
        "es": "Nuestra unidad de inteligencia financiera necesita capacitación sobre reportes de "
        "operaciones sospechosas y el congelamiento sin demora de los activos de quienes "
        "financian el terrorismo.",
        "ru": "Нашему подразделению финансовой разведки необходимо обучение по сообщениям о "
        "подозрительных операциях и безотлагательному замораживанию активов лиц, финансирующих "
        "терроризм.",
        "ar": "تحتاج وحدة الاستخبارات المالية لدينا إلى تدريب على تقارير المعاملات المشبوهة "
        "وتجميد أصول ممولي الإرهاب دون تأخير.",
        "zh": "我国金融情报机构需要关于可疑交易报告和立即冻结恐怖主义资助者资产的培训。",
    },
    "crime-nexus": {
        "en": "We request a study of the links between organized crime, illicit drug trafficking "
        "and terrorist groups in our country.",
        "fr": "Nous demandons une étude des liens entre la criminalité organisée, le trafic "
        "illicite de drogues et les groupes terroristes dans notre pays.",
        "es": "Solicitamos un estudio de los vínculos entre la delincuencia organizada, el tráfico "
        "ilícito de drogas y los grupos terroristas en nuestro país.",
        "ru": "Просим провести исследование связей между организованной преступностью, незаконным "
        "оборотом наркотиков и террористическими группами в нашей стране.",
        "ar": "نطلب إجراء دراسة عن الصلات بين الجريمة المنظمة والاتجار غير المشروع بالمخدرات "
        "والجماعات الإرهابية في بلدنا.",
        "zh": "我们请求研究我国有组织犯罪、非法毒品贩运与恐怖团体之间的联系。",
    },
    "critical-infrastructure": {
        "en": "Help us protect critical infrastructure and soft targets such as power plants, "
        "stadiums and shopping centres against terrorist attacks.",
        "fr": "Aidez-nous à protéger les infrastructures critiques et les cibles vulnérables comme "
        "les centrales électriques, les stades et les centres commerciaux contre les attentats "
        "terroristes.",
        "es": "Ayúdennos a proteger la infraestructura crítica y los objetivos vulnerables como "
        "centrales eléctricas, estadios y centros comerciales frente a ataques terroristas.",
        "ru": "Помогите нам защитить критически важные объекты инфраструктуры и уязвимые объекты, "
        "такие как электростанции, стадионы и торговые центры, от террористических нападений.",
        "ar": "ساعدونا على حماية البنية التحتية الحيوية والأهداف الضعيفة مثل محطات الكهرباء "
        "والملاعب ومراكز التسوق من الهجمات الإرهابية.",
        "zh": "请帮助我们保护关键基础设施和软目标，如发电厂、体育场和购物中心，免遭恐怖袭击。",
    },
    "border-management": {
        "en": "Our border guards need training to detect terrorists crossing land borders and to "
        "control border crossing points.",
        "fr": "Nos gardes-frontières ont besoin d'une formation pour détecter les terroristes qui "
        "franchissent les frontières terrestres et contrôler les postes frontaliers.",
        "es": "Nuestros guardias de frontera necesitan capacitación para detectar a terroristas "
        "que cruzan las fronteras terrestres y controlar los pasos fronterizos.",
        "ru": "Нашим пограничникам необходимо обучение выявлению террористов, пересекающих "
        "сухопутную границу, и контролю в пунктах пропуска через государственную границу.",
        "ar": "يحتاج حرس الحدود لدينا إلى تدريب على كشف الإرهابيين الذين يعبرون الحدود البرية "
        "ومراقبة المنافذ الحدودية.",
        "zh": "我国边防人员需要培训，以发现越过陆地边界的恐怖分子并加强边境口岸管控。",
    },
    "travel-data": {
        "en": "We want to establish a passenger information unit and use API and PNR data with "
        "the goTravel software.",
        "fr": "Nous souhaitons créer une unité d'information passagers et exploiter les données "
        "API et PNR avec le logiciel goTravel.",
        "es": "Queremos crear una unidad de información sobre pasajeros y utilizar datos API y PNR "
        "con el programa goTravel.",
        "ru": "Мы хотим создать подразделение по информации о пассажирах и использовать данные API "
        "и PNR с помощью программы goTravel.",
        "ar": "نرغب في إنشاء وحدة لمعلومات المسافرين واستخدام بيانات API وPNR من خلال برنامج "
        "goTravel.",
        "zh": "我们希望设立旅客信息中心，并利用goTravel软件使用预报旅客信息和旅客订座记录数据。",
    },
    "cbrn": {
        "en": "We request training for first responders on chemical, biological, radiological and "
        "nuclear terrorism.",
        "fr": "Nous demandons une formation des primo-intervenants face au terrorisme chimique, "
        "biologique, radiologique et nucléaire.",
        "es": "Solicitamos capacitación para los primeros intervinientes ante el terrorismo "
        "químico, biológico, radiológico y nuclear.",
        "ru": "Просим организовать обучение сотрудников экстренных служб действиям при "
        "химическом, биологическом, радиологическом и ядерном терроризме.",
        "ar": "نطلب تدريب أفراد الاستجابة الأولى على التعامل مع الإرهاب الكيميائي والبيولوجي "
        "والإشعاعي والنووي.",
        "zh": "我们请求为一线应急人员提供应对化学、生物、放射性和核恐怖主义的培训。",
    },
    "cultural-property": {
        "en": "Help our customs and police stop terrorist groups trafficking looted antiquities "
        "and destroying cultural heritage.",
        "fr": "Aidez nos douanes et notre police à empêcher les groupes terroristes de trafiquer "
        "des antiquités pillées et de détruire le patrimoine culturel.",
        "es": "Ayuden a nuestras aduanas y policía a impedir que los grupos terroristas trafiquen "
        "antigüedades saqueadas y destruyan el patrimonio cultural.",
        "ru": "Помогите нашей таможне и полиции пресечь торговлю похищенными древностями "
        "террористическими группами и уничтожение культурного наследия.",
        "ar": "ساعدوا الجمارك والشرطة لدينا على منع الجماعات الإرهابية من الاتجار بالآثار "
        "المنهوبة وتدمير التراث الثقافي.",
        "zh": "请帮助我国海关和警方制止恐怖团体贩运被掠夺的文物和破坏文化遗产。",
    },
    "ict": {
        "en": "We need support to counter terrorist use of the internet and social media for "
        "online propaganda and recruitment.",
        "fr": "Nous avons besoin d'appui pour lutter contre l'utilisation d'internet et des "
        "réseaux sociaux par les terroristes à des fins de propagande et de recrutement en ligne.",
        "es": "Necesitamos apoyo para contrarrestar el uso de internet y las redes sociales por "
        "los terroristas con fines de propaganda y reclutamiento en línea.",
        "ru": "Нам нужна поддержка в противодействии использованию террористами интернета и "
        "социальных сетей для пропаганды и вербовки в режиме онлайн.",
        "ar": "نحتاج إلى الدعم لمكافحة استخدام الإرهابيين للإنترنت ووسائل التواصل الاجتماعي في "
        "الدعاية والتجنيد عبر الإنترنت.",
        "zh": "我们需要支持，以打击恐怖分子利用互联网和社交媒体进行网上宣传和招募。",
    },
    "victims": {
        "en": "We request assistance to create a support programme and a compensation scheme for "
        "victims of terrorist attacks.",
        "fr": "Nous demandons une assistance pour créer un programme de soutien et un régime "
        "d'indemnisation des victimes d'attentats terroristes.",
        "es": "Solicitamos asistencia para crear un programa de apoyo y un régimen de "
        "indemnización para las víctimas de atentados terroristas.",
        "ru": "Просим помочь создать программу поддержки и систему компенсации для жертв "
        "террористических нападений.",
        "ar": "نطلب المساعدة في إنشاء برنامج لدعم ضحايا الهجمات الإرهابية ونظام لتعويضهم.",
        "zh": "我们请求协助建立恐怖袭击受害者支助方案和赔偿机制。",
    },
    "children": {
        "en": "Please help us deal with children recruited by terrorist groups through juvenile "
        "justice and reintegration measures.",
        "fr": "Aidez-nous à prendre en charge les enfants recrutés par des groupes terroristes "
        "grâce à la justice pour mineurs et à des mesures de réintégration.",
        "es": "Ayúdennos a atender a los niños reclutados por grupos terroristas mediante la "
        "justicia de menores y medidas de reintegración.",
        "ru": "Помогите нам в работе с детьми, завербованными террористическими группами, с "
        "помощью ювенальной юстиции и мер по реинтеграции.",
        "ar": "ساعدونا في التعامل مع الأطفال الذين جندتهم الجماعات الإرهابية من خلال قضاء "
        "الأحداث وتدابير إعادة الإدماج.",
        "zh": "请帮助我们通过少年司法和重返社会措施处理被恐怖团体招募的儿童。",
    },
    "gender": {
        "en": "We need training on the gender dimensions of criminal justice responses to "
        "terrorism, including the roles of women in terrorist groups.",
        "fr": "Nous avons besoin d'une formation sur la dimension de genre de la réponse pénale "
        "au terrorisme, y compris les rôles des femmes dans les groupes terroristes.",
        "es": "Necesitamos capacitación sobre la dimensión de género de la respuesta de la "
        "justicia penal al terrorismo, incluidos los papeles de las mujeres en los grupos "
        "terroristas.",
        "ru": "Нам необходимо обучение по гендерным аспектам мер уголовного правосудия в связи с "
        "терроризмом, включая роль женщин в террористических группах.",
        "ar": "نحتاج إلى تدريب على الأبعاد الجنسانية لتدابير العدالة الجنائية في التصدي "
        "للإرهاب، بما في ذلك أدوار النساء في الجماعات الإرهابية.",
        "zh": "我们需要关于打击恐怖主义刑事司法对策中性别层面的培训，包括妇女在恐怖团体中的角色。",
    },
    "prisons": {
        "en": "Help our prison service prevent radicalization to violence and terrorist "
        "recruitment in prisons and manage violent extremist prisoners.",
        "fr": "Aidez notre administration pénitentiaire à prévenir la radicalisation violente et "
        "le recrutement terroriste en prison et à gérer les détenus extrémistes violents.",
        "es": "Ayuden a nuestro servicio penitenciario a prevenir la radicalización violenta y el "
        "reclutamiento terrorista en las cárceles y a gestionar a los reclusos extremistas "
        "violentos.",
        "ru": "Помогите нашей пенитенциарной службе предотвращать радикализацию и вербовку "
        "террористов в тюрьмах и работать с осужденными насильственными экстремистами.",
        "ar": "ساعدوا إدارة السجون لدينا على منع التطرف العنيف والتجنيد الإرهابي داخل السجون "
        "وإدارة السجناء المتطرفين العنيفين.",
        "zh": "请帮助我国监狱部门防止监狱中的暴力激进化和恐怖主义招募，并管理暴力极端主义囚犯。",
    },
    "resource-mobilization": {
        "en": "Our Government wishes to make a voluntary contribution of 500,000 euros to fund "
        "UNODC counter-terrorism technical assistance.",
        "fr": "Notre gouvernement souhaite verser une contribution volontaire de 500 000 euros "
        "pour financer l'assistance technique de l'ONUDC en matière de lutte contre le terrorisme.",
        "es": "Nuestro Gobierno desea realizar una contribución voluntaria de 500.000 euros para "
        "financiar la asistencia técnica de la UNODC en materia de lucha contra el terrorismo.",
        "ru": "Наше правительство желает внести добровольный взнос в размере 500 000 евро на "
        "финансирование технической помощи УНП ООН в области противодействия терроризму.",
        "ar": "ترغب حكومتنا في تقديم تبرع طوعي قدره 500 ألف يورو لتمويل المساعدة التقنية التي "
        "يقدمها المكتب في مجال مكافحة الإرهاب.",
        "zh": "我国政府希望提供50万欧元自愿捐款，用于资助毒罪办的反恐技术援助。",
    },
}

# A second wording of a request in each language, and the area both must keep.
PARAPHRASES = [
    pytest.param(
        "travel-data",
        "Set up a PIU to screen airline passenger data (advance passenger information and "
        "passenger name records) against watch lists.",
        "en",
        id="travel-data-en",
    ),
    pytest.param(
        "prisons",
        "Former le personnel des établissements pénitentiaires à repérer les détenus qui "
        "recrutent pour des groupes terroristes.",
        "fr",
        id="prisons-fr",
    ),
    pytest.param(
        "financing",
        "Capacitar a la UIF para detectar la financiación del terrorismo a través de "
        "organizaciones sin fines de lucro y remesas.",
        "es",
        id="financing-es",
    ),
    pytest.param(
        "cbrn",
        "Нужна помощь в предотвращении доступа террористов к радиоактивным материалам и "
        "химическому оружию.",
        "ru",
        id="cbrn-ru",
    ),
    pytest.param(
        "victims",
        "نرغب في إنشاء مركز وطني لمساعدة الناجين من الهجمات الإرهابية وأسرهم نفسياً وقانونياً.",
        "ar",
        id="victims-ar",
    ),
    pytest.param(
        "ict", "希望协助我国网络安全部门识别并删除网上恐怖主义宣传内容。", "zh", id="ict-zh"
    ),
]
